// The library's public surface: what other libraries, the app and the tests use. Everything else is internal
// (lint refuses imports of a library's files from outside it).
export { UserView } from './dto/user.view';
export { ensureAdmin } from './first-admin';
export { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyAgainstDummy, verifyPassword } from './passwords';
export { UsersModule } from './users.module';
export { UsersService } from './users.service';
export type { CredentialRow } from './users.service';
