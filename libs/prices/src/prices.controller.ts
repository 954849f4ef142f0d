import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiIdParam, ConditionalBody, ConditionalGet, type Page, Paginated, ParseIdPipe, Public } from '@app/common';
import { ReadFrom } from '@app/database';
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
  @ApiOperation({
    operationId: 'get-listing-prices',
    summary: 'Get listing price history',
    description:
      'Every price the listing has had, oldest first: its initial price, then one entry per change. Each page is conditional: send its ' +
      'ETag back in If-None-Match to get a 304 while the history is unchanged (checked without reading the history).\n\n' +
      '```sh\ncurl -si http://127.0.0.1:3000/listings/12/prices   # etag: "oG4l3bV0c3nq1sQ2yYd7kXcE6Qm"\n' +
      'curl -si http://127.0.0.1:3000/listings/12/prices -H \'If-None-Match: "oG4l3bV0c3nq1sQ2yYd7kXcE6Qm"\'   # 304 Not Modified\n```',
  })
  @ApiOkResponse({
    type: [PriceEntryView],
    example: [
      { price_eur: 380000, created_date: '2026-11-20T09:12:44.518Z' },
      { price_eur: 365000, created_date: '2026-11-23T16:02:10.004Z' },
    ],
  })
  // Conditional per page: the tag is the history's version, the listing and the query string.
  @ConditionalGet('prices', { perQueryString: true })
  @Paginated()
  @ApiErrors(404)
  history(@Param('id', ParseIdPipe) id: number, @Query() query: PriceHistoryQuery, @ReadFrom() from: ReadSource): ConditionalBody<Page<PriceEntryView>> {
    // A revalidation first probes the version alone (one primary-key read, never the history). The
    // page comes with the version read by its own statement.
    return ConditionalBody.probed(
      async () => [id, await this.priceHistory.version(id, from)],
      async () => {
        const { page, version } = await this.priceHistory.history(id, query, from);
        return { body: page, version: [id, version] };
      },
    );
  }
}
