import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { DATABASE_REPLICAS, type ReadReplicas, type ReadSource } from './read-replicas';
import type { SqlQuery } from './sql';
import { WIRE_TIMESTAMP_TYPES } from './wire-timestamps';

export const DATABASE_POOL = Symbol('DATABASE_POOL');

/** The transaction a callback of SqlService.transaction runs in: the one transaction type of the codebase. */
export interface SqlTransaction {
  query<R extends pg.QueryResultRow>(query: SqlQuery): Promise<R[]>;
}

function toConfig(query: SqlQuery): pg.QueryConfig {
  if (query.wireTimestamps) return { name: query.name, text: query.text, values: query.values, types: WIRE_TIMESTAMP_TYPES };
  return { name: query.name, text: query.text, values: query.values };
}

/**
 * Plain node-postgres for the hot paths (history reads, listing pages, the per-request account check,
 * listing writes), on the same pool as Prisma. Measured here: Prisma 6.19's query layer costs about
 * three times a prepared `pg` round trip under load (see bench/results), which matters on the
 * endpoints every client hits; everything else keeps using Prisma. Statements are written with the sql
 * tagged template (./sql.ts); a `prepared` one is parsed and planned once per connection. `read` sends the public reads of anonymous callers
 * to the read replicas (DATABASE_REPLICA_URL), when there are any; everything else runs on the primary.
 */
@Injectable()
export class SqlService {
  constructor(
    @Inject(DATABASE_POOL) private readonly pool: pg.Pool,
    @Inject(DATABASE_REPLICAS) private readonly replicas: ReadReplicas,
  ) {}

  /** On the primary: writes, and reads that must see the latest commit. */
  async query<R extends pg.QueryResultRow>(query: SqlQuery): Promise<R[]> {
    return (await this.pool.query<R>(toConfig(query))).rows;
  }

  /** A read from `from`: a replica in turn when asked for and one is configured, else the primary. */
  async read<R extends pg.QueryResultRow>(from: ReadSource, query: SqlQuery): Promise<R[]> {
    const config = toConfig(query);
    if (from === 'primary' || this.replicas.size === 0) return (await this.pool.query<R>(config)).rows;
    return this.replicas.query<R>(config, async () => (await this.pool.query<R>(config)).rows);
  }

  /** Runs `work` in one transaction: committed if it resolves, rolled back if it throws. */
  async transaction<T>(work: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: SqlTransaction = {
      query: async <R extends pg.QueryResultRow>(query: SqlQuery) => (await client.query<R>(toConfig(query))).rows,
    };
    let released = false;
    try {
      await client.query('BEGIN');
      const result = await work(tx);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection is unusable: destroy it rather than hand it to the next request.
        client.release(rollbackError as Error);
        released = true;
      }
      throw error;
    } finally {
      if (!released) client.release();
    }
  }
}

/**
 * The one owner of the pools' lifetime (the primary's, shared by SqlService and Prisma's adapter, and
 * the replicas'): they are ended after every module has stopped using them (onApplicationShutdown runs
 * after all onModuleDestroy hooks, Prisma's disconnect among them).
 */
@Injectable()
export class DatabasePools implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE_POOL) private readonly pool: pg.Pool,
    @Inject(DATABASE_REPLICAS) private readonly replicas: ReadReplicas,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.pool.end(), this.replicas.end()]);
  }
}
