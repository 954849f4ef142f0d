import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser, Public, type AuthenticatedUser } from '@app/auth';
import { ParseIdPipe, sendPage } from '@app/common';
import { ListingView } from './dto/listing.view';
import { ListingWriteDto } from './dto/listing-write.dto';
import { ListingsQuery } from './dto/listings.query';
import { ListingsService } from './listings.service';

/** Reads are public (listings are published data); writes need a bearer token. */
@Controller('listings')
export class ListingsController {
  constructor(private readonly listings: ListingsService) {}

  @Public()
  @Get()
  async list(@Query() query: ListingsQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ListingView[]> {
    return sendPage(request, reply, await this.listings.list(query));
  }

  @Public()
  @Get(':id')
  get(@Param('id', ParseIdPipe) id: number): Promise<ListingView> {
    return this.listings.get(id);
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: ListingWriteDto, @CurrentUser() caller: AuthenticatedUser): Promise<ListingView> {
    return this.listings.create(body, caller);
  }

  @Put(':id')
  replace(@Param('id', ParseIdPipe) id: number, @Body() body: ListingWriteDto, @CurrentUser() caller: AuthenticatedUser): Promise<ListingView> {
    return this.listings.replace(id, body, caller);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@Param('id', ParseIdPipe) id: number, @CurrentUser() caller: AuthenticatedUser): Promise<void> {
    await this.listings.delete(id, caller);
  }
}
