import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerNotModified, ApiConditionalGet, ApiErrors, ApiIdParam, CONDITIONAL_GET_HEADERS, entityTag, PAGINATION_LINK_HEADER, ParseIdPipe, Public, sendPage } from '@app/common';
import type { ReadSource } from '@app/database';
import { PriceHistoryQuery } from './dto/price-history.query';
import { PriceEntryView } from './dto/price-entry.view';
import { PriceHistoryService } from './price-history.service';
import { ReadFrom } from '@app/database';

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
    headers: { ...PAGINATION_LINK_HEADER, ...CONDITIONAL_GET_HEADERS },
    example: [
      { price_eur: 380000, created_date: '2026-11-20T09:12:44.518Z' },
      { price_eur: 365000, created_date: '2026-11-23T16:02:10.004Z' },
    ],
  })
  @ApiConditionalGet()
  @ApiErrors(404)
  async history(
    @Param('id', ParseIdPipe) id: number,
    @Query() query: PriceHistoryQuery,
    @ReadFrom() from: ReadSource,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PriceEntryView[] | undefined> {
    // The tag: the history's version and the page asked for (the query string). A revalidation first
    // probes the version alone (one primary-key read, never the history) and answers 304 when it matches.
    const etagOf = (version: string) => entityTag('prices', id, version, new URL(request.url, 'http://placeholder').search);
    if (request.headers['if-none-match'] !== undefined) {
      if (answerNotModified(request, reply, etagOf(await this.priceHistory.version(id, from)))) return undefined;
    }
    // The page's tag comes from the version read by the page's own statement, so it is never newer than
    // the body (a tag newer than its body would keep a stale page valid in the client's cache).
    const { page, version } = await this.priceHistory.history(id, query, from);
    if (answerNotModified(request, reply, etagOf(version))) return undefined;
    return sendPage(request, reply, page);
  }
}
