import { Logger } from '@nestjs/common';
import pg from 'pg';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
}

/**
 * The one connection pool of the process (Prisma and SqlService share it). An idle connection that
 * the server closes (a restart, a failover, an admin's pg_terminate_backend, Ctrl-C on the embedded
 * server) makes the pool emit 'error'; without a listener Node would crash the whole process, when
 * the pool only needs to drop that connection and open a new one on the next query.
 */
export function createPool(options: DatabaseOptions): pg.Pool {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize, application_name: 'listing-api' });
  const logger = new Logger('Database');
  pool.on('error', (error) => logger.warn(`Idle database connection lost: ${error.message}`));
  return pool;
}
