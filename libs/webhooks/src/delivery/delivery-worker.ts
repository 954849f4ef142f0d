import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/common';
import { SqlService } from '@app/database';
import {
  type AttemptOutcome,
  type AttemptRow,
  abandonDelivery,
  disableSubscription,
  type Success,
  recordAttempt,
  recordSuccesses,
  selectAttempts,
  subscriptionDeadDelivery,
} from '../webhook.statements';
import { DeliveryMetrics } from './delivery-metrics';
import { DeliveryQueue, type FetchedJob } from './delivery-queue';
import { type SendResult, WebhookSender } from './webhook-sender';
import { signedHeaders } from './signing';

/**
 * Runs the delivery jobs: up to WEBHOOK_CONCURRENCY attempts at once per instance, each fetched (and so
 * locked) from the queue as a slot frees up, so one slow receiver holds one slot, not a batch. It polls the
 * queue every half second, and at once when this instance's relay has just enqueued something (wake()).
 */
@Injectable()
export class DeliveryWorker {
  private readonly logger = new Logger('Webhooks');
  private readonly sender: WebhookSender;
  private readonly concurrency: number;
  private readonly schedule: number[];
  private readonly disableAfterDead: number;
  private inFlight = 0;
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private woken = false;
  /** Succeeded attempts waiting to be recorded together (see flushSuccesses). */
  private successes: { success: Success; jobId: string; done: (error?: Error) => void }[] = [];
  private flushTimer?: NodeJS.Timeout;
  private slotTimer?: NodeJS.Timeout;

  constructor(
    private readonly sql: SqlService,
    private readonly queue: DeliveryQueue,
    private readonly metrics: DeliveryMetrics,
    config: AppConfig,
  ) {
    const { timeoutMs, allowPrivateUrls, concurrency, retrySchedule, disableAfterDead } = config.webhooks;
    this.sender = new WebhookSender({ timeoutMs, policy: { allowPrivate: allowPrivateUrls, httpsOnly: config.nodeEnv === 'production' }, maxSockets: concurrency });
    this.concurrency = concurrency;
    this.schedule = retrySchedule;
    this.disableAfterDead = disableAfterDead;
  }

  start(): void {
    this.running = true;
    this.loop = this.pump();
  }

  /** Stops fetching, and waits for the attempts in flight (each bounded by WEBHOOK_TIMEOUT_MS). */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    while (this.inFlight > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    this.sender.close();
  }

  /**
   * A slot freed up: fetch in a few milliseconds, with whatever other slots free up meanwhile. Fetching at each
   * completion would cost a fetch and a load (two round trips) per delivery instead of per batch.
   */
  private wakeSoon(): void {
    this.slotTimer ??= setTimeout(() => {
      this.slotTimer = undefined;
      this.wake();
    }, 3);
  }

  /** Something was enqueued: fetch now rather than at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  private async pump(): Promise<void> {
    while (this.running) {
      const free = this.concurrency - this.inFlight;
      let fetched = 0;
      if (free > 0) {
        try {
          const jobs = await this.queue.fetch(free);
          fetched = jobs.length;
          if (jobs.length > 0) this.runAll(jobs);
        } catch (error) {
          this.logger.warn(`could not fetch webhook deliveries: ${(error as Error).message}`);
          await this.sleep(2_000);
          continue;
        }
      }
      // A full batch: there may be more due at once. Otherwise wait for a slot, a wake-up or the poll.
      if (fetched > 0 && fetched === free) continue;
      await this.sleep(500);
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms).unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.woken = false;
        this.wakeUp = undefined;
        done();
      };
    });
  }

  private runAll(jobs: FetchedJob[]): void {
    this.inFlight += jobs.length;
    void this.sql
      .query<AttemptRow>(selectAttempts(jobs.map((job) => job.data.deliveryId)))
      .then((rows) => {
        const byId = new Map(rows.map((row) => [row.id, row]));
        for (const job of jobs) {
          void this.attempt(job, byId.get(job.data.deliveryId)).finally(() => {
            this.inFlight -= 1;
            this.wakeSoon();
          });
        }
      })
      .catch(async (error: Error) => {
        this.logger.warn(`could not load webhook deliveries: ${error.message}`);
        await Promise.allSettled(jobs.map((job) => this.queue.fail(job.id, error)));
        this.inFlight -= jobs.length;
      });
  }

  /** One attempt of one delivery, recorded; the job completes once the outcome (and any next attempt) is stored. */
  private async attempt(job: FetchedJob, row: AttemptRow | undefined): Promise<void> {
    try {
      // A job replaced by a manual retry, or one whose delivery is settled or gone: nothing to send.
      if (!row || row.job_id !== job.id || row.status === 'succeeded' || row.status === 'dead') {
        await this.queue.complete(job.id);
        return;
      }
      if (!row.active) {
        await this.sql.query(abandonDelivery(row.id, 'subscription inactive'));
        this.metrics.recorded('dead');
        await this.queue.complete(job.id);
        return;
      }
      const now = new Date();
      const secrets = row.previous_secret && row.previous_secret_expires_date && row.previous_secret_expires_date > now ? [row.secret, row.previous_secret] : [row.secret];
      const result = await this.sender.send(row.url, signedHeaders(row.event_id, row.payload, secrets, now), row.payload);
      if (isSuccess(result)) {
        // Recorded and completed with the other successes of the next few milliseconds.
        await this.recordSuccess({ id: row.id, responseStatus: result.status as number, responseBody: result.responseBody || null, durationMs: Math.round(result.durationMs) }, job.id);
        return;
      }
      await this.record(row, result, new Date());
      await this.queue.complete(job.id);
    } catch (error) {
      // The database failed us: pg-boss runs the job again later (the receiver may get the event twice: at least once).
      this.logger.warn(`webhook delivery ${job.data.deliveryId}: ${(error as Error).message}`);
      await this.queue.fail(job.id, error as Error).catch(() => undefined);
    }
  }

  private recordSuccess(success: Success, jobId: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.successes.push({ success, jobId, done: (error) => (error ? reject(error) : resolve()) });
      if (this.successes.length >= 100) void this.flushSuccesses();
      else this.flushTimer ??= setTimeout(() => void this.flushSuccesses(), 5);
    });
  }

  /**
   * Records the gathered successes in one statement and completes their jobs in one call. If that fails, each
   * attempt fails (its job is retried by pg-boss, and the receiver may get the event again: at least once).
   */
  private async flushSuccesses(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.successes.splice(0);
    if (batch.length === 0) return;
    try {
      await this.sql.query(recordSuccesses(batch.map((b) => b.success), new Date()));
      await this.queue.completeMany(batch.map((b) => b.jobId));
      this.metrics.recorded('succeeded', batch.length);
      for (const b of batch) b.done();
    } catch (error) {
      for (const b of batch) b.done(error as Error);
    }
  }

  private async record(row: AttemptRow, result: SendResult, at: Date): Promise<void> {
    const base = { responseStatus: result.status ?? null, responseBody: result.responseBody || null, durationMs: Math.round(result.durationMs), error: result.error ?? null };
    if (result.status === 410) {
      // The receiver says the endpoint is gone for good: stop now, without retries.
      await this.sql.transaction(async (tx) => {
        await tx.query(recordAttempt(row.id, { ...base, status: 'dead', nextAttemptDate: null, jobId: null }, at));
        await tx.query(disableSubscription(row.subscription_id, 'the receiver answered 410 Gone', at));
      });
      this.metrics.recorded('dead');
      return;
    }
    const attemptsSoFar = row.attempts + 1;
    if (attemptsSoFar > this.schedule.length) {
      await this.sql.transaction(async (tx) => {
        await tx.query(recordAttempt(row.id, { ...base, status: 'dead', nextAttemptDate: null, jobId: null }, at));
        await tx.query(subscriptionDeadDelivery(row.subscription_id, this.disableAfterDead, at));
      });
      this.metrics.recorded('dead');
      return;
    }
    const next = new Date(at.getTime() + jittered(this.schedule[attemptsSoFar - 1]));
    await this.sql.transaction(async (tx) => {
      const [jobId] = await this.queue.enqueue(tx, [row.id], next);
      const outcome: AttemptOutcome = { ...base, status: 'failed', nextAttemptDate: next, jobId };
      await tx.query(recordAttempt(row.id, outcome, at));
    });
    this.metrics.recorded('failed');
  }
}

/** A 2xx, read to its end (or to the 1 KB kept): a 2xx whose body then failed (reset, timeout) is not a success. */
function isSuccess(result: SendResult): boolean {
  return result.error === undefined && result.status !== undefined && result.status >= 200 && result.status < 300;
}

/** ±25%: receivers that failed together do not all get their retries at the same instant. */
function jittered(ms: number): number {
  return Math.round(ms * (0.75 + Math.random() * 0.5));
}
