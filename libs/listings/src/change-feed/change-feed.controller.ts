import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, type Page, Paginated, Public } from '@app/common';
import { ChangeFeedQuery } from './change-feed.query';
import { ChangeFeedService } from './change-feed.service';
import { ListingEventView } from './listing-event.view';

const EXAMPLE_EVENTS: ListingEventView[] = [
  { sequence: 4711, listing_id: 12, type: 'price_changed', at: '2026-11-23T16:02:10.004Z', latest_price_eur: 365000 },
  { sequence: 4712, listing_id: 31, type: 'deleted', at: '2026-11-23T16:02:11.250Z', latest_price_eur: null },
];

/**
 * GET /listings/changes. A static path: Fastify's router matches it before the parametric
 * /listings/:id whatever the registration order. Public and not rate-limited, like the listings it
 * describes.
 */
@Public()
@ApiTags('listings')
@Controller('listings/changes')
export class ChangeFeedController {
  constructor(private readonly feed: ChangeFeedService) {}

  @Get()
  @ApiOperation({
    operationId: 'get-listing-changes',
    summary: 'Change feed of listings',
    description:
      'Every committed change of a listing (created, updated, price_changed, deleted), oldest first, each exactly once: a client that ' +
      'polls from its last cursor misses nothing and sees nothing twice, even while many writes commit out of order; the events of one ' +
      'listing come in the order of its history. A deleted listing keeps its events, at the same positions, but none carries its price ' +
      'any more (`latest_price_eur` is null); its `deleted` event tells mirrors to drop it. ' +
      'The response always has `Link: <...>; rel="next"`: the URL to poll next. When there ' +
      'is nothing new the page is empty and that URL keeps the same cursor. A cursor older than the retention (`CHANGE_FEED_RETENTION_HOURS`, ' +
      'default 7 days) is answered 410: read the listings again, then follow the feed from its start.\n\n' +
      '```sh\ncurl -si \'http://127.0.0.1:3000/listings/changes?limit=100\'\n' +
      '# link: </listings/changes?limit=100&after=eyJ0eCI6Ijc4MSIsInNlcXVlbmNlIjoiNDcxMiJ9>; rel="next"\n' +
      'curl -si \'http://127.0.0.1:3000/listings/changes?limit=100&after=eyJ0eCI6Ijc4MSIsInNlcXVlbmNlIjoiNDcxMiJ9\'\n```',
  })
  @ApiOkResponse({ type: [ListingEventView], example: EXAMPLE_EVENTS })
  @Paginated({ cursorParam: 'after', always: true })
  @ApiErrors(410)
  changes(@Query() query: ChangeFeedQuery): Promise<Page<ListingEventView>> {
    return this.feed.page(query);
  }
}
