import { Module } from '@nestjs/common';
import { PricesModule } from '@app/prices';
import { ListingsController } from './listings.controller';
import { ListingsService } from './listings.service';
import { AdminListingsController, MyListingsController } from './owner-listings.controller';

@Module({
  imports: [PricesModule],
  controllers: [ListingsController, MyListingsController, AdminListingsController],
  providers: [ListingsService],
  exports: [ListingsService],
})
export class ListingsModule {}
