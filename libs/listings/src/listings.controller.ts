import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { answerNotModified, ApiConditionalGet, ApiErrors, ApiIdParam, type AuthenticatedUser, CONDITIONAL_GET_HEADERS, CurrentUser, entityTag, PAGINATION_LINK_HEADER, ParseIdPipe, Public, sendPage } from '@app/common';
import type { ReadSource } from '@app/database';
import { EXAMPLE_LISTING, EXAMPLE_LISTING_WRITE } from './dto/examples';
import { ListingView } from './dto/listing.view';
import { ListingWriteDto } from './dto/listing-write.dto';
import { ListingsQuery } from './dto/listings.query';
import { ListingsService } from './listings.service';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, parseIdempotencyKey, requestHash } from './idempotency/idempotency-key';
import { ReadFrom } from '@app/database';

/** Reads are public (listings are published data); writes need a bearer token. */
@ApiTags('listings')
@Controller('listings')
export class ListingsController {
  constructor(private readonly listings: ListingsService) {}

  @Public()
  @Get()
  @ApiOperation({ operationId: 'get-listings', summary: 'Get all listings', description: 'One page of listings, by ascending id. Follow the Link header for the next page.' })
  @ApiOkResponse({ type: [ListingView], headers: PAGINATION_LINK_HEADER, example: [EXAMPLE_LISTING] })
  async list(
    @Query() query: ListingsQuery,
    @ReadFrom() from: ReadSource,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListingView[]> {
    return sendPage(request, reply, await this.listings.list(query, from));
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
  @ApiOkResponse({ type: ListingView, example: EXAMPLE_LISTING, headers: CONDITIONAL_GET_HEADERS })
  @ApiConditionalGet()
  @ApiErrors(404)
  async get(
    @Param('id', ParseIdPipe) id: number,
    @ReadFrom() from: ReadSource,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListingView | undefined> {
    const listing = await this.listings.get(id, from);
    // One primary-key read either way: the tag is a hash of the representation itself, so it changes
    // exactly when the body does (every field, updated_date included).
    if (answerNotModified(request, reply, entityTag('listing', JSON.stringify(listing)))) return undefined;
    return listing;
  }

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
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '1 to 255 visible ASCII characters (the quoted form `"..."` is accepted too): makes retries of this create safe for 24 hours.',
    schema: { type: 'string', minLength: 1, maxLength: 257 },
  })
  @ApiBody({ type: ListingWriteDto, examples: { listing: { value: EXAMPLE_LISTING_WRITE } } })
  @ApiCreatedResponse({
    type: ListingView,
    example: EXAMPLE_LISTING,
    headers: { 'Idempotent-Replayed': { description: '`true` when this is the stored response to an earlier request with the same Idempotency-Key.', schema: { type: 'string', enum: ['true'] } } },
  })
  @ApiErrors(409)
  async create(
    @Body() body: ListingWriteDto,
    @CurrentUser() caller: AuthenticatedUser,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListingView> {
    const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    // The body as the client sent it (validated by now): the same request is the same JSON, whatever its key order.
    const result = await this.listings.create(body, caller, key === undefined ? undefined : { key, hash: requestHash(request.body) });
    if (result.replayed) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    void reply.status(result.status);
    return result.body;
  }

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
  replace(@Param('id', ParseIdPipe) id: number, @Body() body: ListingWriteDto, @CurrentUser() caller: AuthenticatedUser): Promise<ListingView> {
    return this.listings.replace(id, body, caller);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiIdParam()
  @ApiOperation({ operationId: 'delete-listing', summary: 'Delete a listing', description: 'Removes the listing and its whole price history. Owner or admin only.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors(403, 404)
  async delete(@Param('id', ParseIdPipe) id: number, @CurrentUser() caller: AuthenticatedUser): Promise<void> {
    await this.listings.delete(id, caller);
  }
}
