import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type pg from 'pg';
import { DATABASE_POOL } from './sql.service';

/** While the database is unavailable it is probed this often, so that its return is noticed without traffic. */
export const PROBE_INTERVAL_MS = 1_000;

/** Why a probe failed, in a few log-safe words (no host names): the error's code, else its message. */
function describe(error: unknown): string {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string') return code;
  return typeof message === 'string' ? message : String(error);
}

/**
 * Whether the primary database can serve requests, as the readiness check and the logs see it. It
 * turns an outage into two log lines, whatever the traffic: one warning when requests start failing
 * (the exception filter reports each failure here, and answers the request 503 itself), and one line
 * when a probe (`SELECT 1`, every PROBE_INTERVAL_MS while down) succeeds again. Nothing restarts:
 * the pool opens new connections once the server is back.
 */
@Injectable()
export class DatabaseAvailability implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Database');
  private down: { since: number; cause: string; failures: number } | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private waiters: (() => void)[] = [];

  constructor(@Inject(DATABASE_POOL) private readonly pool: pg.Pool) {
    // A lost idle connection is no outage by itself (an admin's pg_terminate_backend); a probe tells.
    pool.on('error', () => {
      if (!this.down) this.scheduleProbe(0);
    });
  }

  get available(): boolean {
    return this.down === undefined;
  }

  /** Why the database is unavailable, while it is. */
  get cause(): string | undefined {
    return this.down?.cause;
  }

  /** A request failed because of the database (DatabaseOutageReporter, called by the exception filter). */
  failed(cause: string): void {
    if (!this.down) this.markDown(cause, 'requests fail');
    if (this.down) this.down.failures += 1;
  }

  /** One `SELECT 1`: resolves when the database answers, rejects otherwise, and updates the state. */
  async check(context = 'probe failed'): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch (error) {
      // A pool that is ending is the application shutting down, not an outage.
      if (!this.stopped && !this.pool.ending) this.markDown(describe(error), context);
      throw error;
    }
    this.markUp();
  }

  /** Resolves as soon as the database is available (at once if it is). */
  whenAvailable(): Promise<void> {
    if (!this.down) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** A first probe at startup, so that a database that is down is said once, clearly, before any request. */
  onApplicationBootstrap(): void {
    this.check('at startup').catch(() => undefined);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.probeTimer);
  }

  private markDown(cause: string, how: string): void {
    if (this.down || this.stopped) return;
    this.down = { since: Date.now(), cause, failures: 0 };
    this.logger.warn(`Database unavailable (${cause}; ${how}): answering 503 with Retry-After until it is reachable again`);
    this.scheduleProbe(PROBE_INTERVAL_MS);
  }

  private markUp(): void {
    if (!this.down) return;
    const { since, failures } = this.down;
    this.down = undefined;
    this.logger.log(`Database reachable again after ${((Date.now() - since) / 1000).toFixed(1)} s (${failures} requests answered 503 meanwhile)`);
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private scheduleProbe(delayMs: number): void {
    if (this.stopped || this.probeTimer) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = undefined;
      this.check().then(
        () => undefined,
        () => this.scheduleProbe(PROBE_INTERVAL_MS),
      );
    }, delayMs);
    // Probing never keeps the process alive on its own.
    this.probeTimer.unref();
  }
}
