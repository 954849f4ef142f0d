import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser, Public, ReadFrom, type AuthenticatedUser } from '@app/auth';
import { ApiErrors, ApiIdParam, PAGINATION_LINK_HEADER, ParseIdPipe, sendPage } from '@app/common';
import type { ReadSource } from '@app/database';
import { EXAMPLE_LISTING, EXAMPLE_LISTING_WRITE } from './dto/examples';
import { ListingView } from './dto/listing.view';
import { ListingWriteDto } from './dto/listing-write.dto';
import { ListingsQuery } from './dto/listings.query';
import { ListingsService } from './listings.service';

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
  @ApiOperation({ operationId: 'get-listing', summary: 'Get one listing' })
  @ApiOkResponse({ type: ListingView, example: EXAMPLE_LISTING })
  @ApiErrors(404)
  get(@Param('id', ParseIdPipe) id: number, @ReadFrom() from: ReadSource): Promise<ListingView> {
    return this.listings.get(id, from);
  }

  @Post()
  @HttpCode(201)
  @ApiOperation({ operationId: 'post-listings', summary: 'Create a listing', description: 'The caller becomes the owner. The initial price is the first entry of the price history.' })
  @ApiBody({ type: ListingWriteDto, examples: { listing: { value: EXAMPLE_LISTING_WRITE } } })
  @ApiCreatedResponse({ type: ListingView, example: EXAMPLE_LISTING })
  create(@Body() body: ListingWriteDto, @CurrentUser() caller: AuthenticatedUser): Promise<ListingView> {
    return this.listings.create(body, caller);
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
