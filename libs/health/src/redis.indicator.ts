import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { Redis } from 'ioredis';
import { AppConfig } from '@app/common';

/** How long a PING may take before Redis counts as impaired. */
const PING_TIMEOUT_MS = 1_000;

/**
 * Redis (REDIS_URL), for readiness: a PING on a connection of its own, kept open and reconnecting in
 * the background. A configured Redis that does not answer makes the instance not ready (503 naming
 * `redis`), as the operator asked for shared state: an instance that counts rate limits alone would
 * let N instances each allow the full limit. (While it is away, requests that are still routed here
 * fall back to per-instance counting, RedisThrottlerStorage, rather than failing.)
 */
@Injectable()
export class RedisHealthIndicator implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Health');
  private readonly redis: Redis | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly indicators: HealthIndicatorService,
    { redisUrl, redisKeyPrefix }: AppConfig,
  ) {
    if (!redisUrl) return;
    this.redis = new Redis(redisUrl, {
      connectionName: `${redisKeyPrefix}health`,
      lazyConnect: true,
      connectTimeout: PING_TIMEOUT_MS,
      commandTimeout: PING_TIMEOUT_MS,
      // Answer at once while disconnected instead of queueing the PING behind a reconnection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    // Without a listener ioredis reports every failed reconnection attempt as an unhandled error.
    this.redis.on('error', (error: Error & { code?: string }) => (this.lastError = error.code ?? error.message));
  }

  get configured(): boolean {
    return this.redis !== undefined;
  }

  onModuleInit(): void {
    this.redis?.connect().catch(() => undefined);
  }

  async check(key = 'redis') {
    const indicator = this.indicators.check(key);
    if (!this.redis) return indicator.up({ message: 'not configured' });
    try {
      if (this.redis.status !== 'ready') throw new Error(`not connected (${this.lastError ?? this.redis.status})`);
      await this.redis.ping();
      return indicator.up();
    } catch (error) {
      const message = `unavailable: ${(error as Error).message}`;
      this.logger.debug(`Redis ${message}`);
      return indicator.down({ message });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.redis) return;
    await this.redis.quit().catch(() => this.redis?.disconnect());
  }
}
