import { Injectable, Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { SqlService } from '@app/database';
import { MetricsRegistry } from '@app/metrics';
import { type BacklogRow, selectBacklog } from '../webhook.statements';

/** A delivery attempt's outcome, named like the delivery's status after it. */
export type DeliveryOutcome = 'succeeded' | 'failed' | 'dead';

/** How long one backlog reading serves scrapes (two gauges per scrape, several instances' scrapers). */
const BACKLOG_CACHE_MS = 2_000;

/**
 * The webhook metrics: attempts by outcome (counted by DeliveryWorker as it records them), and the backlog,
 * read from the database when Prometheus scrapes. The backlog is the whole deployment's (every instance reports
 * the same figure: graph its max, not its sum).
 */
@Injectable()
export class DeliveryMetrics {
  private readonly logger = new Logger('Webhooks');
  private readonly attempts: Counter<'outcome'>;
  private backlog: { readAt: number; row: Promise<BacklogRow | undefined> } | undefined;

  constructor(
    private readonly sql: SqlService,
    metrics: MetricsRegistry,
  ) {
    this.attempts = metrics.counter({
      name: 'webhook_deliveries_total',
      help: 'Delivery attempts sent by this instance, by outcome: succeeded, failed (another attempt is scheduled), dead (given up: no retry left, 410 Gone, or subscription inactive).',
      labelNames: ['outcome'],
    });
    for (const outcome of ['succeeded', 'failed', 'dead'] as const) this.attempts.inc({ outcome }, 0);
    const readBacklog = () => this.readBacklog();
    metrics.gauge({
      name: 'webhook_deliveries_pending',
      help: 'Deliveries still owed, in the whole deployment: pending, or failed with a retry to come.',
      async collect() {
        const row = await readBacklog();
        this.set(row ? row.pending : Number.NaN);
      },
    });
    metrics.gauge({
      name: 'webhook_oldest_pending_delivery_age_seconds',
      help: 'Age of the oldest delivery still owed (0 when none): how far behind the receivers are.',
      async collect() {
        const row = await readBacklog();
        this.set(row ? (row.oldest_age_seconds ?? 0) : Number.NaN);
      },
    });
  }

  recorded(outcome: DeliveryOutcome, count = 1): void {
    this.attempts.inc({ outcome }, count);
  }

  /** The backlog, read at most every BACKLOG_CACHE_MS; undefined (NaN in the scrape) if the database failed, never a failed scrape. */
  private readBacklog(): Promise<BacklogRow | undefined> {
    const now = Date.now();
    if (this.backlog === undefined || now - this.backlog.readAt >= BACKLOG_CACHE_MS) {
      const row = this.sql.query<BacklogRow>(selectBacklog()).then(
        (rows) => rows[0],
        (error: Error) => {
          this.logger.debug(`could not read the webhook backlog for the metrics: ${error.message}`);
          return undefined;
        },
      );
      this.backlog = { readAt: now, row };
    }
    return this.backlog.row;
  }
}
