import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { MAX_INT4, MaxLength, MinLength, NotLessThan, QueryCursor, QueryEnum, QUERY_INSTANT_RANGE_DOC, QueryInstant, type QueryInstantValue, QueryInt, QueryNumber } from '@app/common';
import { BUILDING_TYPES, type BuildingTypeName, MAX_PRICE_EUR } from './listing-write.dto';
import { NoNulCharacters } from './text-rules';

export const LISTING_PAGE_DEFAULT = 50;
export const LISTING_PAGE_MAX = 200;

/**
 * The orders a page can be in. Every one ends with the id, so the order is total and a cursor
 * (the sort key and the id of the last row) points at exactly one place in it.
 */
export const LISTING_SORTS = ['id', 'price', '-price', '-created', 'drop'] as const;
export type ListingSort = (typeof LISTING_SORTS)[number];

// class-validator runs a property's decorators bottom-up and stops at the first failure: type checks sit
// closest to the property.

/** Query of GET /listings (and GET /auth/me/listings): filters, sort and key pagination. */
export class ListingsQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: LISTING_PAGE_MAX, default: LISTING_PAGE_DEFAULT, description: 'Listings per page.' })
  @QueryInt(1, LISTING_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({
    description: 'Opaque cursor from the `Link: <...>; rel="next"` header of the previous page. A cursor only works with the `sort` it was issued for.',
  })
  @QueryCursor()
  cursor?: string;

  @ApiPropertyOptional({
    enum: LISTING_SORTS,
    default: 'id',
    description:
      'Order of the results: `id` (oldest listing first), `price` (cheapest first), `-price` (most expensive first), `-created` (newest first), ' +
      '`drop` (largest drop since the first price, in %, first; listings whose price went up come last, by how much, and a first price of 0 after them). ' +
      'Ties are broken by id, in the same direction (descending for `-price`, `-created` and `drop`).',
  })
  @QueryEnum(LISTING_SORTS)
  sort?: ListingSort;

  @ApiPropertyOptional({ enum: BUILDING_TYPES, description: 'Only listings of this building type.' })
  @QueryEnum(BUILDING_TYPES)
  building_type?: BuildingTypeName;

  @ApiPropertyOptional({ description: 'Only listings in this city: exact, case-sensitive match on `postal_address.city` ("Paris" does not match "paris").', minLength: 1, maxLength: 120, example: 'Paris' })
  @MinLength(1)
  @MaxLength(120)
  @NoNulCharacters()
  @IsString()
  @IsOptional()
  city?: string;

  @ApiPropertyOptional({ description: 'Only listings with this postal code (exact match).', minLength: 1, maxLength: 20, example: '75009' })
  @MinLength(1)
  @MaxLength(20)
  @NoNulCharacters()
  @IsString()
  @IsOptional()
  postal_code?: string;

  @ApiPropertyOptional({ description: 'Only listings in this country: ISO 3166-1 alpha-2 code, upper case.', pattern: '^[A-Z]{2}$', example: 'FR' })
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code in upper case, like FR' })
  @IsString()
  @IsOptional()
  country?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_PRICE_EUR, description: 'Only listings priced at least this much, in whole euros.', example: 200000 })
  @QueryInt(0, MAX_PRICE_EUR)
  min_price?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_PRICE_EUR, description: 'Only listings priced at most this much, in whole euros. Must not be less than `min_price`.', example: 500000 })
  @NotLessThan('min_price')
  @QueryInt(0, MAX_PRICE_EUR)
  max_price?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_INT4, description: 'Only listings with at least this many rooms.', example: 2 })
  @QueryInt(1, MAX_INT4)
  min_rooms?: number;

  @ApiPropertyOptional({ type: 'number', minimum: 0, description: 'Only listings of at least this surface, in square meters.', example: 40 })
  @QueryNumber(0)
  min_surface?: number;

  @ApiPropertyOptional({
    type: 'number',
    minimum: 0,
    maximum: 100,
    description:
      'Only listings whose current price is at least this many percent below their first price: 0 to 100, decimals allowed, compared with the drop ' +
      'rounded to 2 decimals (the summary\'s `change_since_first_pct`, negated). `0` keeps the listings whose price is not above the first one. ' +
      'A listing whose first price was 0 has no percentage and never matches.',
    example: 10,
  })
  @QueryNumber(0, 100)
  min_drop_pct?: number;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    description:
      'Only listings whose price changed at or after this instant (RFC 3339 with a time zone; in a URL, write `+` as `%2B`). A change is a history ' +
      `entry after the first: a listing whose price never changed since its creation never matches. The instant must be ${QUERY_INSTANT_RANGE_DOC}.`,
    example: '2026-11-01T00:00:00Z',
  })
  @QueryInstant({ optional: true })
  changed_since?: QueryInstantValue;
}
