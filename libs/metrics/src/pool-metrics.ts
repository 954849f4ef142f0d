import { Injectable } from '@nestjs/common';
import { PoolStats } from '@app/database';
import { MetricsRegistry } from './metrics-registry';

/**
 * The database pools' gauges, from pg-pool's counters read when Prometheus scrapes (collect()): nothing per
 * query. Saturation is busy / max; waiting requests are queued for a connection.
 */
@Injectable()
export class PoolMetrics {
  constructor(stats: PoolStats, metrics: MetricsRegistry) {
    metrics.gauge({
      name: 'db_pool_connections',
      help: 'Open connections of each database pool (primary, replica1…), by state: idle (in the pool) or busy (checked out).',
      labelNames: ['pool', 'state'],
      collect() {
        for (const { pool, idle, busy } of stats.snapshot()) {
          this.set({ pool, state: 'idle' }, idle);
          this.set({ pool, state: 'busy' }, busy);
        }
      },
    });
    metrics.gauge({
      name: 'db_pool_max_connections',
      help: 'The most connections each pool opens (DATABASE_POOL_SIZE): the denominator of pool saturation.',
      labelNames: ['pool'],
      collect() {
        for (const { pool, max } of stats.snapshot()) this.set({ pool }, max);
      },
    });
    metrics.gauge({
      name: 'db_pool_waiting_requests',
      help: 'Queries waiting for a free connection of each pool (each fails after DATABASE_ACQUIRE_TIMEOUT_MS).',
      labelNames: ['pool'],
      collect() {
        for (const { pool, waiting } of stats.snapshot()) this.set({ pool }, waiting);
      },
    });
  }
}
