import { Body, Controller, Get, Param, Put, Query, Req, Res } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentUser, Roles, type AuthenticatedUser } from '@app/auth';
import { MAX_INT4, ParseIdPipe, sendPage } from '@app/common';
import { ListingView } from './dto/listing.view';
import { ListingsQuery } from './dto/listings.query';
import { ListingsService } from './listings.service';

/** The caller's own listings, paginated like GET /listings. */
@Controller('auth/me/listings')
export class MyListingsController {
  constructor(private readonly listings: ListingsService) {}

  @Get()
  async list(
    @CurrentUser() caller: AuthenticatedUser,
    @Query() query: ListingsQuery,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListingView[]> {
    return sendPage(request, reply, await this.listings.listOwnedBy(caller.id, query));
  }
}

export class TransferOwnershipDto {
  @ApiProperty({ type: 'integer', minimum: 1, description: 'The id of the account that becomes the owner.' })
  @Min(1)
  @Max(MAX_INT4)
  @IsInt()
  owner_id!: number;
}

export class OwnershipView {
  @ApiProperty({ type: 'integer' })
  id!: number;
  @ApiProperty({ type: 'integer' })
  owner_id!: number;
}

@Controller('admin/listings')
@Roles('ADMIN')
export class AdminListingsController {
  constructor(private readonly listings: ListingsService) {}

  @Put(':id/owner')
  transfer(@Param('id', ParseIdPipe) id: number, @Body() body: TransferOwnershipDto): Promise<OwnershipView> {
    return this.listings.transferOwnership(id, body.owner_id);
  }
}
