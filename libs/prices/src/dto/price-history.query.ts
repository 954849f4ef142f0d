import { ApiPropertyOptional } from '@nestjs/swagger';
import { InstantAfter, QUERY_INSTANT_RANGE_DOC, QueryCursor, QueryInstant, type QueryInstantValue, QueryInt } from '@app/common';

export const PRICE_PAGE_DEFAULT = 100;
export const PRICE_PAGE_MAX = 1000;

export class PriceHistoryQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: PRICE_PAGE_MAX, default: PRICE_PAGE_DEFAULT, description: 'Entries per page.' })
  @QueryInt(1, PRICE_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the `Link: <...>; rel="next"` header of the previous page.' })
  @QueryCursor()
  cursor?: string;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    description: `Only entries created at or after this instant: RFC 3339 with a time zone, ${QUERY_INSTANT_RANGE_DOC}. Combines with \`to\`, \`limit\` and \`cursor\`.`,
    example: '2026-01-01T00:00:00Z',
  })
  @QueryInstant({ optional: true })
  from?: QueryInstantValue;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    description: `Only entries created before this instant (exclusive): RFC 3339 with a time zone, ${QUERY_INSTANT_RANGE_DOC}. Must be later than \`from\`.`,
    example: '2027-01-01T00:00:00Z',
  })
  @InstantAfter('from')
  @QueryInstant({ optional: true })
  to?: QueryInstantValue;
}
