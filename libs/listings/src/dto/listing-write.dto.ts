import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsNotEmptyObject, IsNumber, IsObject, IsString, Matches, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { MaxLength, MinLength } from '@app/common';
import { PostalAddressDto } from './postal-address.dto';
import { NoNulCharacters } from './text-rules';

export const BUILDING_TYPES = ['STUDIO', 'APARTMENT', 'HOUSE'] as const;
export type BuildingTypeName = (typeof BUILDING_TYPES)[number];

/** Prices are whole euros (the contract's price history is `integer`), stored as NUMERIC(12,0). */
export const MAX_PRICE_EUR = 999_999_999_999;
const MAX_COUNT = 2_147_483_647;

// class-validator runs a property's decorators bottom-up, and stops at the first failure: the type check
// sits closest to the property so that a wrong type is reported as such, not as a broken range.

/** The writable fields of a listing: the body of POST /listings and PUT /listings/{id} (contract `ListingWrite`). */
@ApiSchema({ name: 'ListingWrite' })
export class ListingWriteDto {
  @ApiProperty({ description: 'A user friendly name for the listing.', example: 'Bright two-room flat near the canal', minLength: 1, maxLength: 255 })
  @MinLength(1)
  @MaxLength(255)
  @NoNulCharacters()
  @IsString()
  name!: string;

  @ApiProperty({ type: () => PostalAddressDto })
  @IsNotEmptyObject()
  @ValidateNested()
  @Type(() => PostalAddressDto)
  @IsObject()
  postal_address!: PostalAddressDto;

  @ApiProperty({ description: 'A user friendly description for the listing.', example: 'Second floor, south facing, renovated in 2021.', minLength: 1, maxLength: 10000 })
  @MinLength(1)
  @MaxLength(10_000)
  @NoNulCharacters()
  @IsString()
  description!: string;

  @ApiProperty({ enum: BUILDING_TYPES, description: 'The type of building the listing refers to.', example: 'APARTMENT' })
  @IsIn(BUILDING_TYPES, { message: `building_type must be one of ${BUILDING_TYPES.join(', ')}` })
  building_type!: BuildingTypeName;

  @ApiProperty({ type: 'number', description: 'The price of the listing, in whole euros.', minimum: 0, maximum: MAX_PRICE_EUR, multipleOf: 1, example: 380000 })
  @Min(0)
  @Max(MAX_PRICE_EUR)
  @IsInt({ message: 'latest_price_eur must be a whole number of euros' })
  latest_price_eur!: number;

  @ApiProperty({ type: 'number', description: 'The surface of the listing, in square meters.', minimum: 0, example: 43 })
  @Min(0)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  surface_area_m2!: number;

  @ApiProperty({ type: 'integer', description: 'The number of rooms of the listing.', minimum: 1, maximum: MAX_COUNT, example: 2 })
  @Min(1)
  @Max(MAX_COUNT)
  @IsInt()
  rooms_count!: number;

  @ApiProperty({ type: 'integer', description: 'The number of bedrooms of the listing.', minimum: 0, maximum: MAX_COUNT, example: 1 })
  @Min(0)
  @Max(MAX_COUNT)
  @IsInt()
  bedrooms_count!: number;

  @ApiPropertyOptional({ description: 'Listing main contact phone number, following the E.164 standard.', pattern: '^\\+[1-9]\\d{1,14}$', example: '+33612345678' })
  @Matches(/^\+[1-9]\d{1,14}$/, { message: 'contact_phone_number must be an E.164 number, like +33612345678' })
  @IsString()
  // Optional means absent: null is not a string, as in the contract.
  @ValidateIf((_dto: ListingWriteDto, value: unknown) => value !== undefined)
  contact_phone_number?: string;
}
