import { DynamicModule, Global, Module } from '@nestjs/common';
import { DatabaseAvailability } from './database-availability';
import { createPool } from './pool';
import { DATABASE_OPTIONS, PrismaService } from './prisma.service';
import type { DatabaseOptions } from './pool';
import { DATABASE_REPLICAS, ReadReplicas, replicaLabel } from './read-replicas';
import { DATABASE_POOL, DatabasePools, SqlService } from './sql.service';

export interface DatabaseModuleOptions extends DatabaseOptions {
  /** Read replicas for anonymous public reads (DATABASE_REPLICA_URL); each gets a pool like the primary's. */
  replicaUrls?: string[];
}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot({ replicaUrls = [], ...options }: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DATABASE_OPTIONS, useValue: options },
        { provide: DATABASE_POOL, useFactory: () => createPool(options) },
        {
          provide: DATABASE_REPLICAS,
          useFactory: () => new ReadReplicas(replicaUrls.map((url) => ({ label: replicaLabel(url), pool: createPool({ ...options, url }) }))),
        },
        PrismaService,
        SqlService,
        DatabasePools,
        DatabaseAvailability,
      ],
      exports: [PrismaService, SqlService, DatabaseAvailability],
    };
  }
}
