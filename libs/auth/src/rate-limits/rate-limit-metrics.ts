import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { MetricsRegistry } from '@app/metrics';

/** Each rate limit by the setting that sizes it (AUTH_RATE_LIMIT_PER_IP → `auth_per_ip`, …). */
export const RATE_LIMITS = ['auth_per_ip', 'auth_per_account', 'auth_per_account_ceiling', 'api_key'] as const;
export type RateLimit = (typeof RATE_LIMITS)[number];

/** `rate_limit_rejections_total{limit}`: the 429s, by the limit that gave them. */
@Injectable()
export class RateLimitMetrics {
  private readonly rejections: Counter<'limit'>;

  constructor(metrics: MetricsRegistry) {
    this.rejections = metrics.counter({
      name: 'rate_limit_rejections_total',
      help: 'Requests refused with 429, by limit: auth_per_ip, auth_per_account, auth_per_account_ceiling (login, register, refresh), api_key.',
      labelNames: ['limit'],
    });
    // Every series from the start, so that rate() sees the first rejection as an increase from 0.
    for (const limit of RATE_LIMITS) this.rejections.inc({ limit }, 0);
  }

  rejected(limit: RateLimit): void {
    this.rejections.inc({ limit });
  }
}
