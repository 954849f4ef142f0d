import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { PrismaClient } from './generated/prisma/client';
import { type DatabaseOptions, createPool } from './pool';
import { DATABASE_POOL } from './sql.service';

/**
 * The Prisma client of the process. It talks to Postgres through node-postgres (adapter-pg) on the
 * shared pool, so no native query engine is involved and Prisma and SqlService share connections.
 */
@Injectable()
export class PrismaService extends PrismaClient implements OnModuleDestroy {
  constructor(@Inject(DATABASE_POOL) pool: pg.Pool) {
    super({ adapter: new PrismaPg(pool) });
  }

  /** A client with a pool of its own, for scripts and startup work outside the Nest application. */
  static standalone(options: DatabaseOptions): PrismaService {
    const pool = createPool(options);
    const client = new PrismaService(pool);
    // In the application DatabasePools ends the shared pool; here nobody else owns it.
    const disconnect = client.$disconnect.bind(client);
    client.$disconnect = async () => {
      await disconnect();
      await pool.end();
    };
    return client;
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
