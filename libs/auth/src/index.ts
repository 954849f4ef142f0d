export * from './auth.module';
export * from './guards/jwt-auth.guard';
export * from './guards/roles.guard';
export * from './tokens/access-tokens';
export * from './tokens/jwt-secret';
