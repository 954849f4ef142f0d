import { ApiProperty, ApiSchema } from '@nestjs/swagger';

export const LISTING_EVENT_TYPES = ['created', 'updated', 'price_changed', 'deleted'] as const;
export type ListingEventType = (typeof LISTING_EVENT_TYPES)[number];

/** One committed change of a listing, as GET /listings/changes returns it. */
@ApiSchema({ name: 'ListingEvent' })
export class ListingEventView {
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description:
      'The event\'s unique number. It increases along each listing\'s own history; across listings the feed is in commit order, which these numbers (taken when each write started) need not follow.',
    example: 4711,
  })
  sequence!: number;

  @ApiProperty({ type: 'integer', minimum: 0, description: 'The listing that changed.', example: 12 })
  listing_id!: number;

  @ApiProperty({
    enum: LISTING_EVENT_TYPES,
    description: '`created` (POST), `price_changed` (PUT with a new price), `updated` (PUT with the same price), `deleted` (DELETE).',
    example: 'price_changed',
  })
  type!: ListingEventType;

  @ApiProperty({ description: 'When the change was made: the listing\'s updated_date after it (RFC 3339, UTC).', example: '2026-11-23T16:02:10.004Z' })
  at!: string;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description:
      'The new price for `created` and `price_changed`, null otherwise. An event of a deleted listing carries no price: once the ' +
      'listing is deleted, every one of its events, whatever its type, has null here.',
    example: 365000,
  })
  latest_price_eur!: number | null;
}
