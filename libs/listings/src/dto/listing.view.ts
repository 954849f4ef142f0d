import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PostalAddressDto } from './postal-address.dto';
import { BUILDING_TYPES, type BuildingTypeName } from './listing-write.dto';

/** A listing as clients see it: the contract's `Listing` (read-only fields plus `ListingWrite`). */
export class ListingView {
  @ApiProperty({ type: 'integer', minimum: 0, example: 1234 })
  id!: number;
  @ApiProperty()
  name!: string;
  @ApiProperty({ type: () => PostalAddressDto })
  postal_address!: PostalAddressDto;
  @ApiProperty()
  description!: string;
  @ApiProperty({ enum: BUILDING_TYPES })
  building_type!: BuildingTypeName;
  @ApiProperty({ type: 'number', minimum: 0 })
  latest_price_eur!: number;
  @ApiProperty({ type: 'number', minimum: 0 })
  surface_area_m2!: number;
  @ApiProperty({ type: 'integer', minimum: 1 })
  rooms_count!: number;
  @ApiProperty({ type: 'integer', minimum: 0 })
  bedrooms_count!: number;
  @ApiPropertyOptional({ pattern: '^\\+[1-9]\\d{1,14}$' })
  contact_phone_number?: string;
  @ApiProperty({ example: '2026-11-23T10:15:30.123Z' })
  created_date!: string;
  @ApiProperty({ example: '2026-11-23T10:15:30.123Z' })
  updated_date!: string;
}
