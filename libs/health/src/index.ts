// The library's public surface: what other libraries, the app and the tests use. Everything else is internal
// (lint refuses imports of a library's files from outside it).
export { shutDownGracefully } from './graceful-shutdown';
export { HealthModule } from './health.module';
