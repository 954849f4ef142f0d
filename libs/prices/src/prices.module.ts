import { Module } from '@nestjs/common';
import { PriceHistoryService } from './price-history.service';
import { PricesController } from './prices.controller';

@Module({
  controllers: [PricesController],
  providers: [PriceHistoryService],
  exports: [PriceHistoryService],
})
export class PricesModule {}
