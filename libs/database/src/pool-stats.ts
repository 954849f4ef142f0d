import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { DATABASE_REPLICAS, ReadReplicas } from './read-replicas';
import { DATABASE_POOL } from './sql.service';

/** One pool's counters at one moment. */
export interface PoolSnapshot {
  /** `primary`, or `replica1`, `replica2`… in DATABASE_REPLICA_URL's order: never a host name or a password. */
  pool: string;
  /** Open connections in the pool, unused. */
  idle: number;
  /** Open connections checked out by a query, a transaction or a job. */
  busy: number;
  /** Queries waiting for a connection (each fails after DATABASE_ACQUIRE_TIMEOUT_MS). */
  waiting: number;
  /** The most connections the pool opens (DATABASE_POOL_SIZE). */
  max: number;
}

/** The pools' own counters (pg-pool keeps them anyway): read by the metrics gauges at scrape time, never per query. */
@Injectable()
export class PoolStats {
  private readonly pools: [string, pg.Pool][];

  constructor(@Inject(DATABASE_POOL) primary: pg.Pool, @Inject(DATABASE_REPLICAS) replicas: ReadReplicas) {
    this.pools = [['primary', primary], ...replicas.pools.map((pool, index): [string, pg.Pool] => [`replica${index + 1}`, pool])];
  }

  snapshot(): PoolSnapshot[] {
    return this.pools.map(([pool, { idleCount, totalCount, waitingCount, options }]) => ({
      pool,
      idle: idleCount,
      busy: totalCount - idleCount,
      waiting: waitingCount,
      max: options.max ?? 10,
    }));
  }
}
