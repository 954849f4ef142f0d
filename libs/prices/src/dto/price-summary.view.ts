import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { PriceEntryView } from './price-entry.view';

/**
 * GET /listings/{id}/prices/summary: what the whole price history says, read from aggregates stored
 * with the listing (constant cost, however long the history). Percentages are rounded to 2 decimals;
 * a percentage of a price of 0 does not exist, so it is omitted then.
 */
@ApiSchema({ name: 'PriceSummary' })
export class PriceSummaryView {
  @ApiProperty({ type: 'integer', minimum: 0, example: 12 })
  listing_id!: number;

  @ApiProperty({ type: 'integer', minimum: 1, description: 'Number of history entries: the initial price plus one per change.', example: 3 })
  entries!: number;

  @ApiProperty({ type: PriceEntryView, description: 'The initial price, stamped with the listing\'s creation.' })
  first!: PriceEntryView;

  @ApiProperty({ type: PriceEntryView, description: 'The current price and when it was set (the last change, or the creation if the price never changed).' })
  latest!: PriceEntryView;

  @ApiPropertyOptional({ type: 'integer', description: 'The price before the current one. Omitted while the history has a single entry.', example: 380000 })
  previous_price_eur?: number;

  @ApiProperty({ type: 'integer', description: 'Lowest price the listing has had.', example: 350000 })
  min_price_eur!: number;

  @ApiProperty({ type: 'integer', description: 'Highest price the listing has had.', example: 395000 })
  max_price_eur!: number;

  @ApiProperty({ type: 'integer', description: 'Current price minus the first one, in euros (negative: the price went down).', example: -15000 })
  change_since_first_eur!: number;

  @ApiPropertyOptional({
    type: 'number',
    description: '`change_since_first_eur` as a percentage of the first price, rounded to 2 decimals. Omitted when the first price is 0.',
    example: -3.95,
  })
  change_since_first_pct?: number;

  @ApiPropertyOptional({
    type: 'number',
    description: 'The last change as a percentage of the previous price, rounded to 2 decimals. Omitted while the history has a single entry, or when the previous price is 0.',
    example: -7.59,
  })
  change_since_previous_pct?: number;

  @ApiPropertyOptional({ description: 'When the price last changed (RFC 3339, UTC). Omitted while it never changed: creation is not a change.', example: '2026-11-23T16:02:10.004Z' })
  last_changed_date?: string;

  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Whole days (24 h periods, rounded down) the current price has been in force: since the last change, or since creation if the price never changed.',
    example: 2,
  })
  days_at_current_price!: number;

  @ApiProperty({ description: 'The price chart of this listing (SVG), relative to this API.', example: '/listings/12/prices/chart.svg' })
  chart_url!: string;
}
