/*
 * Development tooling, never loaded by a production start: the embedded PostgreSQL (and what root
 * needs to run it), applying the migrations, the demo seed. The application reaches it only through a
 * dynamic import when DATABASE_URL is unset (apps/api/src/database-bootstrap.ts); the tests use it for
 * their databases. prisma.config.ts loads ./migration-adapter directly, not through this file.
 */
export * from './demo-database';
export * from './demo-seed';
export * from './embedded-postgres';
export * from './migrations';
export * from './database-url';
