import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MAX_INT4, MaxLength, MinLength, NotLessThan } from '@app/common';
import { BUILDING_TYPES, MAX_PRICE_EUR, NoNulCharacters } from '@app/listings';

// The rules and messages of GET /listings' parameters of the same names (ListingsQuery), for a JSON body:
// numbers must be JSON numbers here (a query string only has strings, which ListingsQuery converts).
// class-validator runs a property's decorators bottom-up and stops at the first failure: type checks sit
// closest to the property.
// In registration order (applyDecorators keeps it): the type check before the range checks.
const integer = (min: number, max: number) => applyDecorators(IsOptional(), IsInt({ message: '$property must be an integer' }), Min(min), Max(max));
const number = (min: number, max: number) =>
  applyDecorators(IsOptional(), IsNumber({ allowNaN: false, allowInfinity: false }, { message: '$property must be a number' }), Min(min), Max(max));

/**
 * Which listings a subscription hears about: every field optional, all of them ANDed, each with the meaning of
 * the GET /listings parameter of the same name, applied to the listing as it is after the change. A
 * subscription with a filter is a saved search with an alert.
 */
@ApiSchema({ name: 'WebhookFilter' })
export class WebhookFilterDto {
  @ApiPropertyOptional({ description: 'Exact, case-sensitive match on `postal_address.city`.', minLength: 1, maxLength: 120, example: 'Paris' })
  @MinLength(1)
  @MaxLength(120)
  @NoNulCharacters()
  @IsString()
  @IsOptional()
  city?: string;

  @ApiPropertyOptional({ description: 'Exact match on `postal_address.postal_code`.', minLength: 1, maxLength: 20, example: '75009' })
  @MinLength(1)
  @MaxLength(20)
  @NoNulCharacters()
  @IsString()
  @IsOptional()
  postal_code?: string;

  @ApiPropertyOptional({ description: 'ISO 3166-1 alpha-2 code, upper case.', pattern: '^[A-Z]{2}$', example: 'FR' })
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code in upper case, like FR' })
  @IsString()
  @IsOptional()
  country?: string;

  @ApiPropertyOptional({ enum: BUILDING_TYPES })
  @IsIn(BUILDING_TYPES, { message: `$property must be one of ${BUILDING_TYPES.join(', ')}` })
  @IsOptional()
  building_type?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_PRICE_EUR, description: 'Price at least this, in whole euros.', example: 200000 })
  @integer(0, MAX_PRICE_EUR)
  min_price?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_PRICE_EUR, description: 'Price at most this, in whole euros; not less than `min_price`.', example: 500000 })
  @NotLessThan('min_price')
  @integer(0, MAX_PRICE_EUR)
  max_price?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_INT4, example: 2 })
  @integer(1, MAX_INT4)
  min_rooms?: number;

  @ApiPropertyOptional({ type: 'number', minimum: 0, description: 'Surface at least this, in square meters.', example: 40 })
  @number(0, Number.MAX_SAFE_INTEGER)
  min_surface?: number;

  @ApiPropertyOptional({
    type: 'number',
    minimum: 0,
    maximum: 100,
    description: 'Current price at least this many percent below the first price (as GET /listings?min_drop_pct). A first price of 0 never matches.',
    example: 10,
  })
  @number(0, 100)
  min_drop_pct?: number;

  @ApiPropertyOptional({
    type: 'number',
    minimum: 0,
    maximum: 100,
    description:
      'Only `listing.price_changed` events whose new price is at least this many percent below the previous one (the price-drop alert). ' +
      'With it, the subscription receives no other event type.',
    example: 5,
  })
  @number(0, 100)
  min_change_drop_pct?: number;
}

/** The filter as stored and matched: the DTO's fields, plain. */
export type WebhookFilter = Partial<Pick<WebhookFilterDto, keyof WebhookFilterDto>>;
