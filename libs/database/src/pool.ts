import { Logger } from '@nestjs/common';
import type { Socket } from 'node:net';
import pg from 'pg';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  /** How long a request may wait on the database; unset (scripts, migrations): no limits. */
  timeouts?: PoolTimeouts;
}

/** The same fields as AppConfig's databaseTimeouts. */
export interface PoolTimeouts {
  /** Opening one connection (TCP, TLS, authentication). */
  connectMs: number;
  /** Getting a connection from the pool, a new one included: pg-pool's connectionTimeoutMillis. */
  acquireMs: number;
  /** One statement, enforced by PostgreSQL itself (statement_timeout). */
  statementMs: number;
}

/** How much longer than statement_timeout the client waits for an answer before giving up itself. */
const QUERY_TIMEOUT_MARGIN_MS = 1_000;

/**
 * The one connection pool of the process (Prisma and SqlService share it). An idle connection that
 * the server closes (a restart, a failover, an admin's pg_terminate_backend, Ctrl-C on the embedded
 * server) makes the pool emit 'error'; without a listener Node would crash the whole process, when
 * the pool only needs to drop that connection and open a new one on the next query. That is logged
 * at debug level only: whether it is an outage is for DatabaseAvailability to find out and log, once.
 *
 * With `timeouts`, a request waits at most acquireMs for a connection (a new connection's handshake is
 * cut after connectMs, or acquireMs if smaller: pg-pool applies its own timeout to new connections too),
 * PostgreSQL cancels a statement after statementMs (57014), and the client stops waiting for an answer
 * a little later: every database failure becomes a 503 within a bounded time, never a request that hangs.
 */
export function createPool(options: DatabaseOptions): pg.Pool {
  const { timeouts } = options;
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    application_name: 'listing-api',
    ...(timeouts && {
      connectionTimeoutMillis: timeouts.acquireMs,
      statement_timeout: timeouts.statementMs,
      Client: clientWithConnectTimeout(timeouts.connectMs),
    }),
  });
  const logger = new Logger('Database');
  pool.on('error', (error) => logger.debug(`Idle database connection lost: ${error.message}`));
  // pg-pool listens for errors only on idle connections. One checked out (a transaction between two
  // statements) that the server terminates would emit 'error' to nobody, and crash the process: its
  // holder gets the error from its next query instead, and pg-pool discards it on release.
  pool.on('connect', (client) => {
    client.on('error', (error) => logger.debug(`Database connection lost while in use: ${error.message}`));
    if (timeouts) destroyWhenSilent(client, timeouts.statementMs + QUERY_TIMEOUT_MARGIN_MS);
  });
  return pool;
}

/** What destroyWhenSilent reads of a pg 8 client: its socket, and whether a statement awaits an answer. */
interface ClientInternals {
  connection?: { stream?: Socket };
  _getActiveQuery?: () => unknown;
}

/**
 * A server that stops answering (frozen, or cut off by the network) cannot enforce its own
 * statement_timeout, so the client must give up itself. pg's `query_timeout` does that with a timer
 * armed and cleared around every statement, whose closure holds the statement and its rows: measured
 * with the benchmark's first page of listings, garbage collection then cost about 120 ms per 1 000
 * requests instead of about 20, which lowered every APP/BASE ratio by 0.1 to 0.2. Instead, the
 * connection's socket gets Node's inactivity timeout (one timer per connection, refreshed by every
 * read and write, nothing allocated per statement): when the connection has been silent for
 * `silenceMs` while a statement awaits its answer (a healthy server answers within statement_timeout,
 * with an error if need be), the socket is destroyed; the statement fails with "Query read timeout"
 * (a 503, see database-unavailable.ts) and pg-pool discards the connection. Silence with no statement
 * in flight (idle, or a transaction between two statements) is left alone.
 */
function destroyWhenSilent(client: pg.PoolClient, silenceMs: number): void {
  const internals = client as unknown as ClientInternals;
  const stream = internals.connection?.stream;
  if (!stream || typeof internals._getActiveQuery !== 'function') return;
  const awaitingAnswer = internals._getActiveQuery.bind(client);
  stream.setTimeout(silenceMs);
  stream.on('timeout', () => {
    if (awaitingAnswer()) stream.destroy(new Error('Query read timeout'));
  });
}

/**
 * pg-pool hands its own options, connectionTimeoutMillis included, to every client it creates; this
 * client class gives the connection handshake its own limit.
 */
function clientWithConnectTimeout(connectMs: number): typeof pg.Client {
  return class extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({ ...(typeof config === 'string' ? { connectionString: config } : config), connectionTimeoutMillis: connectMs });
    }
  };
}
