// The library's public surface: what other libraries, the app and the tests use. Everything else is internal
// (lint refuses imports of a library's files from outside it).
export { HttpMetrics } from './http-metrics';
export { MetricsModule } from './metrics.module';
export { MetricsRegistry } from './metrics-registry';
export { UNMATCHED_ROUTE, routeLabel } from './route-label';
