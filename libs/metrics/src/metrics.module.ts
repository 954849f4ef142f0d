import { Module } from '@nestjs/common';
import { DatabaseModule } from '@app/database';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsRegistry } from './metrics-registry';
import { PoolMetrics } from './pool-metrics';

/**
 * Prometheus metrics: the registry every library adds its metrics to (import this module to get MetricsRegistry;
 * Nest builds it once), the HTTP request metrics, the database pools' gauges, and GET /metrics.
 */
@Module({
  imports: [DatabaseModule],
  controllers: [MetricsController],
  providers: [MetricsRegistry, HttpMetrics, PoolMetrics],
  exports: [MetricsRegistry],
})
export class MetricsModule {}
