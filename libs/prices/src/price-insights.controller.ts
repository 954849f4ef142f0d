import { Controller, Get, Header, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ApiIdParam, ConditionalBody, ConditionalGet, ParseIdPipe, Public } from '@app/common';
import { ReadFrom } from '@app/database';
import type { ReadSource } from '@app/database';
import { exampleChartDataUri } from './dto/chart-example';
import { PriceAtQuery } from './dto/price-at.query';
import { CHART_SIZE, PriceChartQuery } from './dto/price-chart.query';
import { PriceEntryView } from './dto/price-entry.view';
import { PriceSummaryView } from './dto/price-summary.view';
import { PriceInsightsService } from './price-insights.service';

/** The chart route's URL: the summary links to it. */
export function chartUrl(listingId: number): string {
  return `/listings/${listingId}/prices/chart.svg`;
}

const EXAMPLE_SUMMARY: PriceSummaryView = {
  listing_id: 12,
  entries: 3,
  first: { price_eur: 380000, created_date: '2026-11-20T09:12:44.518Z' },
  latest: { price_eur: 365000, created_date: '2026-11-23T16:02:10.004Z' },
  previous_price_eur: 395000,
  min_price_eur: 365000,
  max_price_eur: 395000,
  change_since_first_eur: -15000,
  change_since_first_pct: -3.95,
  change_since_previous_pct: -7.59,
  last_changed_date: '2026-11-23T16:02:10.004Z',
  days_at_current_price: 2,
  chart_url: '/listings/12/prices/chart.svg',
};

/** What the price history says, beyond the list of its entries. Public, like the history itself. */
@Public()
@ApiTags('prices')
@Controller('listings')
export class PriceInsightsController {
  constructor(private readonly insights: PriceInsightsService) {}

  @Get(':id/prices/summary')
  @ApiIdParam()
  @ApiOperation({
    operationId: 'get-listing-price-summary',
    summary: 'Price summary of a listing',
    description:
      'First and current price, previous price, lowest and highest, change since the first price (euros and %) and since the previous one (%), ' +
      'when the price last changed and for how many days the current price has held. Read from aggregates kept with the listing: the same cost ' +
      'whatever the length of the history. `previous_price_eur`, `change_since_previous_pct` and `last_changed_date` are omitted while the ' +
      'history has a single entry; a percentage of a price of 0 is omitted too. Conditional (ETag, If-None-Match → 304); the ETag also ' +
      'changes when `days_at_current_price` does.',
  })
  @ApiOkResponse({ type: PriceSummaryView, example: EXAMPLE_SUMMARY })
  @ConditionalGet('summary')
  @ApiErrors(404)
  async summary(@Param('id', ParseIdPipe) id: number, @ReadFrom() from: ReadSource): Promise<PriceSummaryView> {
    // One primary-key read either way: the tag hashes the body, day count included (it moves with time).
    // The chart's URL comes last, as the wire format has it.
    return { ...(await this.insights.summary(id, from)), chart_url: chartUrl(id) };
  }

  @Get(':id/prices/at')
  @ApiIdParam()
  @ApiOperation({
    operationId: 'get-listing-price-at',
    summary: 'Price of a listing at a given instant',
    description:
      'The history entry in force at `date`: the newest one created at or before it. 404 when the listing did not exist yet at that instant ' +
      '(the message says so and gives the date of its first price), and for an unknown listing.',
  })
  @ApiOkResponse({ type: PriceEntryView, example: { price_eur: 395000, created_date: '2026-11-21T08:30:00.000Z' } })
  @ApiErrors(404)
  priceAt(@Param('id', ParseIdPipe) id: number, @Query() query: PriceAtQuery, @ReadFrom() from: ReadSource): Promise<PriceEntryView> {
    return this.insights.priceAt(id, query.date, from);
  }

  @Get(':id/prices/chart.svg')
  @ApiIdParam()
  @ApiOperation({
    operationId: 'get-listing-price-chart',
    summary: 'Price chart of a listing (SVG)',
    description:
      `A step chart of the whole price history, from the listing's creation to now, with the price in euros and the date (UTC) on the axes ` +
      `and the current price marked. ${CHART_SIZE.width.default}×${CHART_SIZE.height.default} pixels unless \`width\` and \`height\` say otherwise. ` +
      `Drawn on the server; its URL is the summary's \`chart_url\`, usable as an image source (\`<img src>\`). ` +
      `Conditional (ETag, If-None-Match → 304, checked without reading the history): the time axis ends at the current minute, so the ETag ` +
      `changes when the history changes and otherwise once a minute.\n\n` +
      `For example (here "Try it out" shows the SVG source):\n\n<img alt="Example: the price chart of a listing" width="720" height="360" src="${exampleChartDataUri()}">`,
  })
  @ConditionalGet('chart')
  @ApiResponse({
    status: 200,
    description: 'An SVG document.',
    content: { 'image/svg+xml': { schema: { type: 'string' }, example: '<svg xmlns="http://www.w3.org/2000/svg" width="720" height="360" …>…</svg>' } },
  })
  @ApiErrors(404)
  // Error bodies set their own JSON type, and a 304 has none.
  @Header('Content-Type', 'image/svg+xml; charset=utf-8')
  async chart(@Param('id', ParseIdPipe) id: number, @Query() query: PriceChartQuery, @ReadFrom() from: ReadSource): Promise<ConditionalBody<string>> {
    // The version is known from the summary row (one primary-key read): a 304 never reads the history.
    const chart = await this.insights.chart(id, query, from);
    return ConditionalBody.deferred(chart.version, () => chart.render());
  }
}
