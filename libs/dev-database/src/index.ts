// The library's public surface: what other libraries, the app and the tests use. Everything else is internal
// (lint refuses imports of a library's files from outside it).
export { quoteIdent, withDatabase } from './database-url';
export { startDemoDatabase } from './demo-database';
export { embeddedPostgresNativeDir, freePort, startEmbeddedPostgres } from './embedded-postgres';
export type { EmbeddedPostgresHandle } from './embedded-postgres';
export { EmbeddedPostgresError } from './embedded-postgres-errors';
