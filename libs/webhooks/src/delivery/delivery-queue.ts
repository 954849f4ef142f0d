import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import PgBoss from 'pg-boss';
import { SqlService, type SqlTransaction, librarySql } from '@app/database';
import { AppConfig } from '@app/common';

const QUEUE = 'webhook-delivery';

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
    await this.boss.createQueue(QUEUE, { name: QUEUE, policy: 'standard', retryLimit: 5, retryDelay: 5, expireInSeconds: this.expireInSeconds });
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
