import { ApiPropertyOptional } from '@nestjs/swagger';
import { QueryCursor, QueryInt } from '@app/common';

export const CHANGE_PAGE_DEFAULT = 100;
export const CHANGE_PAGE_MAX = 1000;

export class ChangeFeedQuery {
  @ApiPropertyOptional({
    description:
      'Opaque cursor: the `after` of the `Link: <...>; rel="next"` header of the previous page. Omitted: from the oldest event still kept.',
  })
  @QueryCursor()
  after?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: CHANGE_PAGE_MAX, default: CHANGE_PAGE_DEFAULT, description: 'Events per page.' })
  @QueryInt(1, CHANGE_PAGE_MAX)
  limit?: number;
}
