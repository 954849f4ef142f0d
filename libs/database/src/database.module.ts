import { DynamicModule, Global, Module } from '@nestjs/common';
import { createPool } from './pool';
import { DATABASE_OPTIONS, PrismaService } from './prisma.service';
import type { DatabaseOptions } from './pool';
import { DATABASE_POOL, SqlService } from './sql.service';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DATABASE_OPTIONS, useValue: options },
        { provide: DATABASE_POOL, useFactory: () => createPool(options) },
        PrismaService,
        SqlService,
      ],
      exports: [PrismaService, SqlService],
    };
  }
}
