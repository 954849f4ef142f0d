import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public, ReadFrom } from '@app/auth';
import { ApiErrors, ApiIdParam, PAGINATION_LINK_HEADER, ParseIdPipe, sendPage } from '@app/common';
import type { ReadSource } from '@app/database';
import { PriceHistoryQuery } from './dto/price-history.query';
import { PriceEntryView } from './dto/price-entry.view';
import { PriceHistoryService } from './price-history.service';

/** The price history is published data, like the listing itself. */
@Public()
@ApiTags('prices')
@Controller('listings')
export class PricesController {
  constructor(private readonly priceHistory: PriceHistoryService) {}

  @Get(':id/prices')
  @ApiIdParam('The id of the listing whose price history to get.')
  @ApiOperation({ operationId: 'get-listing-prices', summary: 'Get listing price history', description: 'Every price the listing has had, oldest first: its initial price, then one entry per change.' })
  @ApiOkResponse({
    type: [PriceEntryView],
    headers: PAGINATION_LINK_HEADER,
    example: [
      { price_eur: 380000, created_date: '2026-11-20T09:12:44.518Z' },
      { price_eur: 365000, created_date: '2026-11-23T16:02:10.004Z' },
    ],
  })
  @ApiErrors(404)
  async history(
    @Param('id', ParseIdPipe) id: number,
    @Query() query: PriceHistoryQuery,
    @ReadFrom() from: ReadSource,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PriceEntryView[]> {
    return sendPage(request, reply, await this.priceHistory.history(id, query, from));
  }
}
