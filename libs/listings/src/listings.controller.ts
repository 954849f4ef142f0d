import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuditOrigin, RequestOrigin } from '@app/audit';
import { ApiErrors, ApiIdParam, type AuthenticatedUser, ConditionalGet, CurrentUser, type Page, Paginated, ParseIdPipe, Public, RequiresScope } from '@app/common';
import { ReadFrom } from '@app/database';
import type { ReadSource } from '@app/database';
import { EXAMPLE_LISTING, EXAMPLE_LISTING_WRITE } from './dto/examples';
import { ListingView } from './dto/listing.view';
import { ListingWriteDto } from './dto/listing-write.dto';
import { ListingsQuery } from './dto/listings.query';
import { ListingsService } from './listings.service';
import type { IdempotentRequest, IdempotentResult } from './idempotency/idempotency.service';
import { Idempotent, IdempotencyKey } from './idempotency/idempotent-route';

/** Reads are public (listings are published data); writes need a bearer token, or an API key with listings:write. */
@ApiTags('listings')
@Controller('listings')
export class ListingsController {
  constructor(private readonly listings: ListingsService) {}

  @Public()
  @Get()
  @ApiOperation({ operationId: 'get-listings', summary: 'Get all listings', description: 'One page of listings in the order of `sort` (default `id`: ascending id; also `price`, `-price`, `-created`, `drop`), filtered by the parameters given. Follow the Link header for the next page.' })
  @ApiOkResponse({ type: [ListingView], example: [EXAMPLE_LISTING] })
  @Paginated()
  list(@Query() query: ListingsQuery, @ReadFrom() from: ReadSource): Promise<Page<ListingView>> {
    return this.listings.list(query, from);
  }

  @Public()
  @Get(':id')
  @ApiIdParam()
  @ApiOperation({
    operationId: 'get-listing',
    summary: 'Get one listing',
    description:
      'Conditional: send the ETag back in If-None-Match to get a 304 while the listing is unchanged.\n\n' +
      '```sh\ncurl -si http://127.0.0.1:3000/listings/12 -H \'If-None-Match: "Xq3…"\'\n```',
  })
  @ApiOkResponse({ type: ListingView, example: EXAMPLE_LISTING })
  @ConditionalGet('listing')
  @ApiErrors(404)
  get(@Param('id', ParseIdPipe) id: number, @ReadFrom() from: ReadSource): Promise<ListingView> {
    // One primary-key read either way: the tag hashes the representation itself, so it changes exactly
    // when the body does (every field, updated_date included).
    return this.listings.get(id, from);
  }

  @RequiresScope('listings:write')
  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'post-listings',
    summary: 'Create a listing',
    description:
      'The caller becomes the owner. The initial price is the first entry of the price history.\n\n' +
      '**Retries**: send an `Idempotency-Key` (for example a UUID, new for each listing to create). Within 24 hours the same caller ' +
      'sending the same key and the same body gets the original status and body again (with `Idempotent-Replayed: true`) and nothing ' +
      'is created twice; the same key with another body is a 422; while the first request with that key is still running, a 409. Keys ' +
      'are per caller. Failed requests are not remembered.\n\n' +
      '```sh\ncurl -si -X POST http://127.0.0.1:3000/listings -H "authorization: Bearer $TOKEN" -H "Idempotency-Key: $(uuidgen)" \\\n' +
      '  -H \'content-type: application/json\' -d @listing.json\n```',
  })
  @ApiBody({ type: ListingWriteDto, examples: { listing: { value: EXAMPLE_LISTING_WRITE } } })
  @ApiCreatedResponse({ type: ListingView, example: EXAMPLE_LISTING })
  @Idempotent()
  @ApiErrors(409)
  create(
    @Body() body: ListingWriteDto,
    @CurrentUser() caller: AuthenticatedUser,
    @IdempotencyKey() idempotencyKey: () => IdempotentRequest | undefined,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<IdempotentResult<ListingView>> {
    return this.listings.create(body, caller, origin, idempotencyKey());
  }

  @RequiresScope('listings:write')
  @Put(':id')
  @ApiIdParam()
  @ApiOperation({
    operationId: 'upsert-listing',
    summary: 'Update a listing',
    description: 'Full replacement of the writable fields, by the owner or an admin. A new latest_price_eur appends one entry to the price history. No upsert: an unknown id is a 404.',
  })
  @ApiBody({ type: ListingWriteDto, examples: { listing: { value: { ...EXAMPLE_LISTING_WRITE, latest_price_eur: 365000 } } } })
  @ApiOkResponse({ type: ListingView, example: { ...EXAMPLE_LISTING, latest_price_eur: 365000 } })
  @ApiErrors(403, 404)
  replace(
    @Param('id', ParseIdPipe) id: number,
    @Body() body: ListingWriteDto,
    @CurrentUser() caller: AuthenticatedUser,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<ListingView> {
    return this.listings.replace(id, body, caller, origin);
  }

  @RequiresScope('listings:write')
  @Delete(':id')
  @HttpCode(204)
  @ApiIdParam()
  @ApiOperation({ operationId: 'delete-listing', summary: 'Delete a listing', description: 'Removes the listing and its whole price history. Owner or admin only.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(403, 404)
  async delete(@Param('id', ParseIdPipe) id: number, @CurrentUser() caller: AuthenticatedUser, @RequestOrigin() origin: AuditOrigin): Promise<void> {
    await this.listings.delete(id, caller, origin);
  }
}
