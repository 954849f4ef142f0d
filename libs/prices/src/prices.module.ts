import { Module } from '@nestjs/common';
import { DatabaseModule } from '@app/database';
import { PriceHistoryService } from './price-history.service';
import { PriceInsightsController } from './price-insights.controller';
import { PriceInsightsService } from './price-insights.service';
import { PricesController } from './prices.controller';

@Module({
  imports: [DatabaseModule],
  controllers: [PricesController, PriceInsightsController],
  providers: [PriceHistoryService, PriceInsightsService],
  exports: [PriceHistoryService],
})
export class PricesModule {}
