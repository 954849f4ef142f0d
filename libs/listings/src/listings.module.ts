import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { DatabaseModule } from '@app/database';
import { PricesModule } from '@app/prices';
import { ChangeFeedController } from './change-feed/change-feed.controller';
import { ChangeFeedService } from './change-feed/change-feed.service';
import { IdempotencyService } from './idempotency/idempotency.service';
import { ListingsController } from './listings.controller';
import { ListingsService } from './listings.service';
import { RetentionPurgeJob } from './retention-purge.job';
import { AdminListingsController, MyListingsController } from './owner-listings.controller';

@Module({
  imports: [DatabaseModule, PricesModule, AuditModule],
  controllers: [ChangeFeedController, ListingsController, MyListingsController, AdminListingsController],
  providers: [ListingsService, ChangeFeedService, IdempotencyService, RetentionPurgeJob],
  exports: [ListingsService, ChangeFeedService, IdempotencyService],
})
export class ListingsModule {}
