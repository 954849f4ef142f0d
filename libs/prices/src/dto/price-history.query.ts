import { ApiPropertyOptional } from '@nestjs/swagger';
import { QueryCursor, QueryInt } from '@app/common';

export const PRICE_PAGE_DEFAULT = 100;
export const PRICE_PAGE_MAX = 1000;

export class PriceHistoryQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: PRICE_PAGE_MAX, default: PRICE_PAGE_DEFAULT, description: 'Entries per page.' })
  @QueryInt(1, PRICE_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the `Link: <...>; rel="next"` header of the previous page.' })
  @QueryCursor()
  cursor?: string;
}
