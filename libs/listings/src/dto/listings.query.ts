import { ApiPropertyOptional } from '@nestjs/swagger';
import { QueryCursor, QueryInt } from '@app/common';

export const LISTING_PAGE_DEFAULT = 50;
export const LISTING_PAGE_MAX = 200;

export class ListingsQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: LISTING_PAGE_MAX, default: LISTING_PAGE_DEFAULT, description: 'Listings per page.' })
  @QueryInt(1, LISTING_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the `Link: <...>; rel="next"` header of the previous page.' })
  @QueryCursor()
  cursor?: string;
}
