import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ParseIdPipe, sendPage } from '@app/common';
import { ListingView } from './dto/listing.view';
import { ListingWriteDto } from './dto/listing-write.dto';
import { ListingsQuery } from './dto/listings.query';
import { ListingsService } from './listings.service';

@Controller('listings')
export class ListingsController {
  constructor(private readonly listings: ListingsService) {}

  @Get()
  async list(@Query() query: ListingsQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<ListingView[]> {
    return sendPage(request, reply, await this.listings.list(query));
  }

  @Get(':id')
  get(@Param('id', ParseIdPipe) id: number): Promise<ListingView> {
    return this.listings.get(id);
  }

  @Post()
  @HttpCode(201)
  create(@Body() body: ListingWriteDto): Promise<ListingView> {
    return this.listings.create(body);
  }

  @Put(':id')
  replace(@Param('id', ParseIdPipe) id: number, @Body() body: ListingWriteDto): Promise<ListingView> {
    return this.listings.replace(id, body);
  }
}
