export * from './auth.module';
export * from './authenticated-user';
export * from './decorators';
export * from './first-admin';
export * from './passwords';
export * from './tokens/access-tokens';
export * from './tokens/jwt-secret';
export * from './users/users.service';
