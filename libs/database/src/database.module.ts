import { DynamicModule, Module } from '@nestjs/common';
import { DatabaseAvailability } from './database-availability';
import { createPool } from './pool';
import type { DatabaseOptions } from './pool';
import { PoolStats } from './pool-stats';
import { PrismaService } from './prisma.service';
import { DATABASE_REPLICAS, ReadReplicas, replicaLabel } from './read-replicas';
import { DATABASE_POOL, DatabasePools, SqlService } from './sql.service';

/** Where the database is and how the pools are sized: set once by the application (DatabaseModule.connect). */
export class DatabaseSettings implements DatabaseOptions {
  url!: string;
  poolSize!: number;
  timeouts?: DatabaseOptions['timeouts'];
  /** Read replicas for anonymous public reads (DATABASE_REPLICA_URL); each gets a pool like the primary's. */
  replicaUrls?: string[];
}

/**
 * Global on purpose, and holding nothing but the connection settings: the pools themselves are reached only
 * by importing DatabaseModule.
 */
@Module({})
class DatabaseSettingsModule {}

/**
 * The pools, the SQL runner and the Prisma client. Not global: a module that runs SQL says so by importing
 * DatabaseModule, and the statements it runs live beside the module that owns their table. Nest creates the
 * module once however many modules import it, so the process has one primary pool and one owner of its shutdown
 * (DatabasePools).
 */
@Module({
  providers: [
    { provide: DATABASE_POOL, inject: [DatabaseSettings], useFactory: (settings: DatabaseSettings) => createPool(settings) },
    {
      provide: DATABASE_REPLICAS,
      inject: [DatabaseSettings],
      useFactory: ({ replicaUrls = [], ...settings }: DatabaseSettings) =>
        new ReadReplicas(replicaUrls.map((url) => ({ label: replicaLabel(url), pool: createPool({ ...settings, url }) }))),
    },
    PrismaService,
    SqlService,
    DatabasePools,
    DatabaseAvailability,
    PoolStats,
  ],
  exports: [PrismaService, SqlService, DatabaseAvailability, PoolStats],
})
export class DatabaseModule {
  /** Imported once, by the application module: the settings every DatabaseModule import connects with. */
  static connect(settings: DatabaseSettings): DynamicModule {
    return {
      module: DatabaseSettingsModule,
      global: true,
      providers: [{ provide: DatabaseSettings, useValue: settings }],
      exports: [DatabaseSettings],
    };
  }
}
