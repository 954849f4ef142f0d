import { ApiProperty } from '@nestjs/swagger';
import { QUERY_INSTANT_RANGE_DOC, QueryInstant, type QueryInstantValue } from '@app/common';

/** Query of GET /listings/{id}/prices/at. */
export class PriceAtQuery {
  @ApiProperty({
    type: 'string',
    format: 'date-time',
    description: `The instant to look at: RFC 3339 with a time zone (\`2026-11-23T10:15:30Z\`, \`2026-11-23T11:15:30.5+01:00\`), ${QUERY_INSTANT_RANGE_DOC}. In a URL, write \`+\` as \`%2B\`.`,
    example: '2026-11-22T00:00:00Z',
  })
  @QueryInstant({ optional: false })
  date!: QueryInstantValue;
}
