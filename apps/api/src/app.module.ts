import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AuthModule } from '@app/auth';
import { ApiExceptionFilter, ApiValidationPipe, AppConfig } from '@app/common';
import { DatabaseModule } from '@app/database';
import { ListingsModule } from '@app/listings';
import { PricesModule } from '@app/prices';

/** Composition only: which modules make up the service, and the cross-cutting pipe and filter. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string, jwtSecret: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        DatabaseModule.forRoot({ url: databaseUrl, poolSize: config.databasePoolSize }),
        AuthModule.forRoot(config.auth, jwtSecret),
        PricesModule,
        ListingsModule,
      ],
      providers: [
        { provide: APP_PIPE, useClass: ApiValidationPipe },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }
}
