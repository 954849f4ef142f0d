import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@app/auth';
import { ParseIdPipe, sendPage } from '@app/common';
import { PriceHistoryQuery } from './dto/price-history.query';
import { PriceEntryView } from './dto/price-entry.view';
import { PriceHistoryService } from './price-history.service';

/** The price history is published data, like the listing itself. */
@Public()
@Controller('listings')
export class PricesController {
  constructor(private readonly priceHistory: PriceHistoryService) {}

  @Get(':id/prices')
  async history(
    @Param('id', ParseIdPipe) id: number,
    @Query() query: PriceHistoryQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PriceEntryView[]> {
    return sendPage(request, reply, await this.priceHistory.history(id, query));
  }
}
