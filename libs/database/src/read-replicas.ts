import { Logger } from '@nestjs/common';
import pg from 'pg';

/**
 * Where a read may be served from. `replica` is for reads that may be a little behind the primary: the
 * public reads of anonymous callers. Anything a caller may read right after its own write stays on
 * the `primary` (read-your-writes), and so do writes and the per-request account check.
 */
export type ReadSource = 'primary' | 'replica';

export const DATABASE_REPLICAS = Symbol('DATABASE_REPLICAS');

/** A replica that could not be reached is left alone this long before it gets reads again. */
export const REPLICA_REST_MS = 5_000;

export interface Replica {
  /** host:port/database, for logs (never the password). */
  label: string;
  pool: pg.Pool;
}

/** SQLSTATEs that mean "this server cannot serve now" rather than "this query is wrong". */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/**
 * Whether a replica failed as a server (unreachable, shutting down, starting up, out of connections,
 * or out of pooled connections in time), so the read can be served by the primary instead. An error
 * about the query itself (a statement timeout, a bad value) would fail the same way on the primary.
 */
export function isReplicaUnavailable(error: unknown): boolean {
  if (!(error instanceof pg.DatabaseError)) return true;
  return error.code !== undefined && (error.code.startsWith('08') || UNAVAILABLE_SQLSTATES.has(error.code));
}

export function replicaLabel(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}

/**
 * The read replicas (DATABASE_REPLICA_URL), taken in turn. A replica that cannot be reached rests for
 * REPLICA_REST_MS and its reads go to the primary meanwhile, which has every row the replica would
 * have had (and newer): a replica outage costs the primary load, never an error or an older answer.
 */
export class ReadReplicas {
  private readonly logger = new Logger('Database');
  private readonly restingUntil: number[];
  private next = 0;

  constructor(private readonly replicas: Replica[]) {
    this.restingUntil = replicas.map(() => 0);
  }

  get size(): number {
    return this.replicas.length;
  }

  /** Each replica's pool, in DATABASE_REPLICA_URL's order (for the pool gauges). */
  get pools(): pg.Pool[] {
    return this.replicas.map(({ pool }) => pool);
  }

  /** Runs the read on the next available replica; on the primary (`onPrimary`) if none is available. */
  async query<R extends pg.QueryResultRow>(config: pg.QueryConfig, onPrimary: () => Promise<R[]>): Promise<R[]> {
    const index = this.pick();
    if (index === undefined) return onPrimary();
    try {
      return (await this.replicas[index].pool.query<R>(config)).rows;
    } catch (error) {
      if (!isReplicaUnavailable(error)) throw error;
      this.rest(index, error as Error);
      return onPrimary();
    }
  }

  async end(): Promise<void> {
    await Promise.all(this.replicas.map(({ pool }) => pool.end()));
  }

  private pick(): number | undefined {
    const now = Date.now();
    for (let tried = 0; tried < this.replicas.length; tried += 1) {
      const index = this.next;
      this.next = (this.next + 1) % this.replicas.length;
      if (this.restingUntil[index] <= now) return index;
    }
    return undefined;
  }

  private rest(index: number, error: Error): void {
    // Concurrent reads that failed together log once.
    if (this.restingUntil[index] > Date.now()) return;
    this.restingUntil[index] = Date.now() + REPLICA_REST_MS;
    this.logger.warn(`Read replica ${this.replicas[index].label} unavailable (${error.message}): its reads go to the primary for ${REPLICA_REST_MS / 1000} s`);
  }
}
