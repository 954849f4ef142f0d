import { Logger } from '@nestjs/common';
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
      // A server that stops answering (frozen, or cut off by the network) cannot enforce its own
      // statement_timeout: the client gives up a little later ("Query read timeout"), and pg-pool
      // then discards that connection.
      query_timeout: timeouts.statementMs + QUERY_TIMEOUT_MARGIN_MS,
      Client: clientWithConnectTimeout(timeouts.connectMs),
    }),
  });
  const logger = new Logger('Database');
  pool.on('error', (error) => logger.debug(`Idle database connection lost: ${error.message}`));
  // pg-pool listens for errors only on idle connections. One checked out (a transaction between two
  // statements) that the server terminates would emit 'error' to nobody, and crash the process: its
  // holder gets the error from its next query instead, and pg-pool discards it on release.
  pool.on('connect', (client) => client.on('error', (error) => logger.debug(`Database connection lost while in use: ${error.message}`)));
  return pool;
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
