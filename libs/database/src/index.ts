// The library's public surface: what other libraries, the app and the tests use. Everything else is internal
// (lint refuses imports of a library's files from outside it).
export { DatabaseAvailability } from './database-availability';
export { databaseErrorKind, databaseUnavailableCause, isUniqueViolation } from './database-errors';
export type { DatabaseErrorKind } from './database-errors';
export { DatabaseModule } from './database.module';
export { PoolStats } from './pool-stats';
export type { PoolSnapshot } from './pool-stats';
export { PrismaService } from './prisma.service';
export type { ReadSource } from './read-replicas';
export { ReadFrom, recordVerifiedBearer } from './read-source.decorator';
export { join, librarySql, prepared, preparedByShape, raw, sql, withWireTimestamps } from './sql';
export { isoOf } from './wire-timestamps';
export type { SqlQuery } from './sql';
export { DATABASE_POOL, SqlService } from './sql.service';
export type { SqlTransaction } from './sql.service';
