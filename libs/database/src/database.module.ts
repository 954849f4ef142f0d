import { DynamicModule, Global, Module } from '@nestjs/common';
import pg from 'pg';
import { DATABASE_OPTIONS, DatabaseOptions, PrismaService } from './prisma.service';
import { DATABASE_POOL, SqlService } from './sql.service';

@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DATABASE_OPTIONS, useValue: options },
        { provide: DATABASE_POOL, useFactory: () => new pg.Pool({ connectionString: options.url, max: options.poolSize }) },
        PrismaService,
        SqlService,
      ],
      exports: [PrismaService, SqlService],
    };
  }
}
