import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiSchema, ApiTags } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { type AuditOrigin, RequestOrigin } from '@app/audit';
import { ApiErrors, ApiIdParam, type AuthenticatedUser, CurrentUser, MAX_INT4, type Page, Paginated, ParseIdPipe, RequiresScope, Roles } from '@app/common';
import { ListingView } from './dto/listing.view';
import { ListingsQuery } from './dto/listings.query';
import { ListingsService } from './listings.service';

/**
 * The caller's own listings, paginated like GET /listings. For an API key it takes listings:write: which listings
 * an account owns is not public (the listing representation has no owner), and it is what a program managing them needs.
 */
@ApiTags('listings')
@Controller('auth/me/listings')
@RequiresScope('listings:write')
export class MyListingsController {
  constructor(private readonly listings: ListingsService) {}

  @Get()
  @ApiOperation({ operationId: 'get-my-listings', summary: 'The signed-in account\'s listings', description: 'Paginated like GET /listings.' })
  @ApiOkResponse({ type: [ListingView] })
  @Paginated()
  list(@CurrentUser() caller: AuthenticatedUser, @Query() query: ListingsQuery): Promise<Page<ListingView>> {
    return this.listings.listOwnedBy(caller.id, query);
  }
}

@ApiSchema({ name: 'OwnershipTransfer' })
export class TransferOwnershipDto {
  @ApiProperty({ type: 'integer', minimum: 1, description: 'The id of the account that becomes the owner.' })
  @Min(1)
  @Max(MAX_INT4)
  @IsInt()
  owner_id!: number;
}

@ApiSchema({ name: 'Ownership' })
export class OwnershipView {
  @ApiProperty({ type: 'integer' })
  id!: number;
  @ApiProperty({ type: 'integer' })
  owner_id!: number;
}

@ApiTags('admin')
@Controller('admin/listings')
@Roles('ADMIN')
@RequiresScope('admin')
export class AdminListingsController {
  constructor(private readonly listings: ListingsService) {}

  @Put(':id/owner')
  @ApiIdParam()
  @ApiOperation({ operationId: 'admin-transfer-listing', summary: 'Give a listing to another account' })
  @ApiOkResponse({ type: OwnershipView })
  @ApiErrors(404)
  transfer(
    @Param('id', ParseIdPipe) id: number,
    @Body() body: TransferOwnershipDto,
    @CurrentUser() caller: AuthenticatedUser,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<OwnershipView> {
    return this.listings.transferOwnership(id, body.owner_id, caller, origin);
  }
}
