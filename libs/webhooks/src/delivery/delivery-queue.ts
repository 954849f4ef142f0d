import { randomUUID } from 'node:crypto';
import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { SqlService, type SqlTransaction, librarySql } from '@app/database';
import { AppConfig } from '@app/common';

const QUEUE = 'webhook-delivery';
/** PostgreSQL's SQLSTATE for a transaction it failed to break a deadlock. */
const DEADLOCK_DETECTED = '40P01';

export interface DeliveryJob {
  deliveryId: string;
}

export type FetchedJob = PgBoss.Job<DeliveryJob>;

/**
 * The webhook deliveries' queue: pg-boss, on the service's own PostgreSQL and pool (its tables live in the
 * `pgboss` schema, which it installs and migrates itself on start). Chosen because it runs on the embedded
 * default with nothing else installed and because a job can be enqueued inside our own transaction: the
 * delivery row and its job commit together or not at all.
 *
 * One job is one attempt. pg-boss locks a fetched job (FOR UPDATE SKIP LOCKED), so no two instances run it at
 * once; a job whose instance died mid-attempt expires and pg-boss runs it again (retryLimit), with the same
 * delivery and so the same webhook-id. The retry schedule after a failed attempt is ours
 * (WEBHOOK_RETRY_SCHEDULE): the worker enqueues the next attempt with its start time, in the transaction that
 * records the failed one.
 */
@Injectable()
export class DeliveryQueue {
  private readonly logger = new Logger('Webhooks');
  private boss: PgBoss;
  private readonly expireInSeconds: number;
  /** pg-boss runs timers (maintenance) from its start until its stop: a started instance must always be stopped. */
  private bossStarted = false;
  /** The queue's row is committed (created here or by another instance): from then on a job can be enqueued. */
  private queueReady = false;

  constructor(
    private readonly sql: SqlService,
    config: AppConfig,
  ) {
    // Long enough for the slowest attempt (the timeout bounds the whole exchange) and its recording: only a
    // dead instance's job expires, and then its delivery is attempted again within about this plus maintenance.
    this.expireInSeconds = Math.ceil(config.webhooks.timeoutMs / 1000) + 5;
    this.boss = this.createBoss();
  }

  private createBoss(): PgBoss {
    const boss = new PgBoss({
      db: { executeSql: async (text, values) => ({ rows: await this.sql.query(librarySql(text, values ?? [])) }) },
      schema: 'pgboss',
      // Expiry of a dead instance's jobs, archiving and deletion of finished ones; pg-boss runs it on one instance at a time.
      supervise: true,
      maintenanceIntervalSeconds: 15,
      schedule: false,
      archiveCompletedAfterSeconds: 3_600,
      deleteAfterDays: 2,
    });
    boss.on('error', (error: Error) => this.logger.warn(`queue: ${error.message}`));
    return boss;
  }

  /** Whether jobs can be enqueued (see enqueue). */
  get ready(): boolean {
    return this.queueReady;
  }

  /** Installs or migrates pg-boss's schema (idempotent, serialised by pg-boss across instances) and the queue. */
  async start(): Promise<void> {
    if (!this.bossStarted) {
      try {
        await this.boss.start();
      } catch (error) {
        // pg-boss 10 stays "starting" after a failed start (the database was away), and would then ignore every
        // later start(): the next attempt gets a fresh instance.
        this.boss = this.createBoss();
        throw error;
      }
      this.bossStarted = true;
    }
    await this.createQueue();
    this.queueReady = true;
  }

  /**
   * Creates the queue unless it exists. Instances starting together on a fresh database may each create it:
   * pg-boss's create_queue then deadlocks in one of them (it inserts the queue row and adds a foreign key to
   * the queue table in one statement), which PostgreSQL resolves by failing that one. Its rival goes on, so
   * the victim looks again in a moment and finds the queue there.
   */
  private async createQueue(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      if (await this.boss.getQueue(QUEUE)) return;
      try {
        await this.boss.createQueue(QUEUE, { name: QUEUE, policy: 'standard', retryLimit: 5, retryDelay: 5, expireInSeconds: this.expireInSeconds });
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== DEADLOCK_DETECTED || attempt >= 5) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
      }
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    if (!this.bossStarted) return;
    this.bossStarted = false;
    await this.boss.stop({ graceful: true, wait: true, timeout: Math.max(1_000, timeoutMs) });
  }

  /**
   * Enqueues the first attempt of each delivery in the caller's transaction; returns the jobs' ids (in the
   * deliveries' order), which the caller stores on the deliveries.
   */
  async enqueue(tx: SqlTransaction, deliveryIds: string[], startAfter?: Date): Promise<string[]> {
    // pg-boss inserts a job joined with its queue's row: before that row is committed, the insert adds nothing
    // and says nothing, and the delivery would wait for a job that does not exist. So no enqueue before then (the
    // relay and the worker start after it; a ping or a retry meanwhile is a 503, and the client tries again).
    if (!this.queueReady) throw new ServiceUnavailableException('Webhook deliveries are starting: retry shortly');
    const jobs = deliveryIds.map((deliveryId) => ({
      id: randomUUID(),
      name: QUEUE,
      data: { deliveryId } satisfies DeliveryJob,
      retryLimit: 5,
      retryDelay: 5,
      expireInSeconds: this.expireInSeconds,
      ...(startAfter ? { startAfter } : {}),
    }));
    if (jobs.length > 0) await this.boss.insert(jobs, { db: inTransaction(tx) });
    return jobs.map((job) => job.id);
  }

  /** Up to `count` due jobs, each now locked to this instance until completed or expired. */
  fetch(count: number): Promise<FetchedJob[]> {
    return this.boss.fetch<DeliveryJob>(QUEUE, { batchSize: count });
  }

  async complete(jobId: string): Promise<void> {
    await this.boss.complete(QUEUE, jobId);
  }

  async completeMany(jobIds: string[]): Promise<void> {
    await this.boss.complete(QUEUE, jobIds);
  }

  /** Leaves the job to pg-boss's retry (after retryDelay): for an attempt that could not be recorded (database trouble). */
  async fail(jobId: string, error: Error): Promise<void> {
    await this.boss.fail(QUEUE, jobId, { message: error.message });
  }

  /** Whether the job is being run right now (by any instance). */
  async isActive(jobId: string): Promise<boolean> {
    const job = await this.boss.getJobById(QUEUE, jobId);
    return job?.state === 'active';
  }

  /** Cancels a job that has not started (a manual retry replaces it). */
  async cancel(tx: SqlTransaction, jobId: string): Promise<void> {
    await this.boss.cancel(QUEUE, jobId, { db: inTransaction(tx) });
  }
}

function inTransaction(tx: SqlTransaction): PgBoss.Db {
  return { executeSql: async (text, values) => ({ rows: await tx.query(librarySql(text, values ?? [])) }) };
}
