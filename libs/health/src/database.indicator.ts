import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AppConfig } from '@app/common';
import { DatabaseAvailability } from '@app/database';

/**
 * The primary database, for readiness. While DatabaseAvailability already knows it is down (an outage
 * it is probing), that answer comes at once; otherwise a `SELECT 1` through the shared pool decides,
 * given no longer than a request waits for a connection (DATABASE_ACQUIRE_TIMEOUT_MS).
 */
@Injectable()
export class DatabaseHealthIndicator {
  private readonly timeoutMs: number;

  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly availability: DatabaseAvailability,
    config: AppConfig,
  ) {
    this.timeoutMs = config.databaseTimeouts.acquireMs;
  }

  async check(key = 'database') {
    const indicator = this.indicators.check(key);
    if (!this.availability.available) return indicator.down({ message: `unavailable: ${this.availability.cause ?? 'unknown'}` });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.timeoutMs)));
    try {
      const outcome = await Promise.race([this.availability.check(), timedOut]);
      if (outcome === 'timeout') return indicator.down({ message: `unavailable: no answer within ${this.timeoutMs} ms` });
      return indicator.up();
    } catch {
      return indicator.down({ message: `unavailable: ${this.availability.cause ?? 'unknown'}` });
    } finally {
      clearTimeout(timer);
    }
  }
}
