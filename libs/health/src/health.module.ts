import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DATABASE_OUTAGE_REPORTER } from '@app/common';
import { DatabaseAvailability, DatabaseModule } from '@app/database';
import { DatabaseHealthIndicator } from './database.indicator';
import { HealthController } from './health.controller';
import { HttpDrain } from './http-drain';
import { RedisHealthIndicator } from './redis.indicator';

/**
 * /health/live and /health/ready, the HTTP drain of a graceful shutdown, and the link that lets the
 * exception filter report database failures to DatabaseAvailability (exported, so that the filter
 * registered by the application module can inject it).
 */
@Module({
  // Terminus would log an error on every failed probe; an outage is logged once, by DatabaseAvailability.
  imports: [DatabaseModule, TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [DatabaseHealthIndicator, RedisHealthIndicator, HttpDrain, { provide: DATABASE_OUTAGE_REPORTER, useExisting: DatabaseAvailability }],
  exports: [HttpDrain, DATABASE_OUTAGE_REPORTER],
})
export class HealthModule {}
