import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { LoggerModule } from 'nestjs-pino';
import { AuditModule } from '@app/audit';
import { AuthModule, JwtAuthGuard, RolesGuard } from '@app/auth';
import { ApiExceptionFilter, ApiValidationPipe, AppConfig, AppConfigModule, AppLogging } from '@app/common';
import { DatabaseModule } from '@app/database';
import { HealthModule } from '@app/health';
import { ListingsModule } from '@app/listings';
import { MetricsModule } from '@app/metrics';
import { PricesModule } from '@app/prices';
import { WebhooksModule } from '@app/webhooks';

/**
 * Composition only: which modules make up the service, and every global provider (guards, pipe, filter). The
 * database URL is passed apart from the settings because it is known only once the database has been
 * prepared (embedded or DATABASE_URL), and the logger because main.ts uses it before the module exists.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, databaseUrl: string, logging: AppLogging): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(logging.params),
        // Periodic jobs (@Interval, @Cron) of every module: started once the application has bootstrapped, cleared before it shuts down.
        ScheduleModule.forRoot(),
        // Where the database is; the modules that run SQL import DatabaseModule themselves.
        DatabaseModule.connect({ url: databaseUrl, poolSize: config.databasePoolSize, timeouts: config.databaseTimeouts, replicaUrls: config.databaseReplicaUrls }),
        AuditModule,
        AuthModule.forRoot(),
        PricesModule,
        ListingsModule,
        WebhooksModule,
        HealthModule,
        // GET /metrics and the request metrics; the other modules import it for their own metrics.
        MetricsModule,
      ],
      providers: [
        // Every global provider, here and nowhere else. Guards run before pipes; among guards, order
        // matters: who the caller is (JwtAuthGuard) before what they may do (RolesGuard).
        { provide: APP_GUARD, useClass: JwtAuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
        { provide: APP_PIPE, useClass: ApiValidationPipe },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }
}
