import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, IsString, Max, Min, ValidateIf } from 'class-validator';
import { API_KEY_SCOPES, type ApiKeyScope, MaxLength, MinLength, QueryCursor, QueryInt } from '@app/common';

export const API_KEY_PAGE_DEFAULT = 50;
export const API_KEY_PAGE_MAX = 200;
export const EXPIRY_DAYS_DEFAULT = 90;
export const EXPIRY_DAYS_MAX = 365;

@ApiSchema({ name: 'ApiKeyCreate' })
export class ApiKeyCreateDto {
  @ApiProperty({ description: 'What the key is for, to recognise it in a list.', minLength: 1, maxLength: 100, example: 'CRM sync' })
  @MaxLength(100)
  @MinLength(1)
  @IsString()
  name!: string;

  @ApiProperty({
    type: [String],
    enum: API_KEY_SCOPES,
    minItems: 1,
    uniqueItems: true,
    description:
      '`listings:write`: create, replace and delete the owner\'s listings; `webhooks:manage`: the webhook routes; `admin`: the admin routes (only an admin\'s key may hold it).',
    example: ['listings:write'],
  })
  @IsIn(API_KEY_SCOPES, { each: true, message: `each value in $property must be one of ${API_KEY_SCOPES.join(', ')}` })
  @ArrayUnique({ message: '$property must not repeat a value' })
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @ArrayMinSize(1, { message: '$property must name at least one scope' })
  @IsArray()
  scopes!: ApiKeyScope[];

  @ApiPropertyOptional({
    type: 'integer',
    nullable: true,
    minimum: 1,
    maximum: EXPIRY_DAYS_MAX,
    default: EXPIRY_DAYS_DEFAULT,
    description: 'Days until the key stops working. `null`: never expires, for an admin\'s key only.',
  })
  @Max(EXPIRY_DAYS_MAX)
  @Min(1)
  @IsInt()
  // null is a value here (no expiry), checked against the caller's role by the service; absent means the default.
  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  expires_in_days?: number | null;
}

export class ApiKeysQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: API_KEY_PAGE_MAX, default: API_KEY_PAGE_DEFAULT })
  @QueryInt(1, API_KEY_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the `Link: <...>; rel="next"` header of the previous page.' })
  @QueryCursor()
  cursor?: string;
}
