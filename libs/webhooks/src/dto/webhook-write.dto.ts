import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsIn, IsObject, IsString, ValidateIf, ValidateNested } from 'class-validator';
import { MaxLength } from '@app/common';
import { WEBHOOK_EVENT_TYPES } from '../webhook-events';
import { WebhookFilterDto } from './webhook-filter.dto';

export const SUBSCRIBABLE = [...WEBHOOK_EVENT_TYPES, '*'] as const;

// Optional means absent: an explicit null is a wrong type, not "leave it as it is" (description and filter take null to clear).
const isPresent = (_dto: object, value: unknown) => value !== undefined;

const EVENTS_DOC =
  'Non-empty: any of `listing.created`, `listing.updated`, `listing.price_changed`, `listing.deleted`, or `["*"]` for all. ' +
  'A PUT that changes the price is `listing.price_changed` to a subscription that has it (or `*`), else `listing.updated`.';

@ApiSchema({ name: 'WebhookCreate' })
export class WebhookCreateDto {
  @ApiProperty({
    description: 'Where deliveries are POSTed: http or https (https only in production), no credentials, a public address.',
    format: 'uri',
    minLength: 1,
    maxLength: 2048,
    example: 'https://crm.example.com/hooks/listings',
  })
  @MaxLength(2048)
  @IsString()
  url!: string;

  @ApiProperty({ type: [String], enum: SUBSCRIBABLE, description: EVENTS_DOC, minItems: 1, uniqueItems: true, example: ['listing.price_changed'] })
  @IsIn(SUBSCRIBABLE, { each: true, message: `each value in $property must be one of ${SUBSCRIBABLE.join(', ')}` })
  @ArrayUnique({ message: '$property must not repeat a value' })
  @ArrayMaxSize(SUBSCRIBABLE.length)
  @ArrayMinSize(1, { message: '$property must name at least one event type' })
  @IsArray()
  events!: string[];

  @ApiPropertyOptional({ type: WebhookFilterDto, nullable: true, description: 'Which listings (all fields ANDed); absent or null: every listing.' })
  @ValidateNested()
  @Type(() => WebhookFilterDto)
  @IsObject()
  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  filter?: WebhookFilterDto | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500, example: 'Paris flats under 500k: price drops' })
  @MaxLength(500)
  @IsString()
  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  description?: string | null;
}

@ApiSchema({ name: 'WebhookUpdate' })
export class WebhookUpdateDto {
  @ApiPropertyOptional({ description: 'As in POST /webhooks.', format: 'uri', minLength: 1, maxLength: 2048 })
  @MaxLength(2048)
  @IsString()
  @ValidateIf(isPresent)
  url?: string;

  @ApiPropertyOptional({ type: [String], enum: SUBSCRIBABLE, description: EVENTS_DOC, minItems: 1, uniqueItems: true })
  @IsIn(SUBSCRIBABLE, { each: true, message: `each value in $property must be one of ${SUBSCRIBABLE.join(', ')}` })
  @ArrayUnique({ message: '$property must not repeat a value' })
  @ArrayMaxSize(SUBSCRIBABLE.length)
  @ArrayMinSize(1, { message: '$property must name at least one event type' })
  @IsArray()
  @ValidateIf(isPresent)
  events?: string[];

  @ApiPropertyOptional({ type: WebhookFilterDto, nullable: true, description: 'Replaces the filter; null removes it.' })
  @ValidateNested()
  @Type(() => WebhookFilterDto)
  @IsObject()
  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  filter?: WebhookFilterDto | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @MaxLength(500)
  @IsString()
  @ValidateIf((_dto, value) => value !== undefined && value !== null)
  description?: string | null;

  @ApiPropertyOptional({ description: 'false pauses deliveries; true re-enables a disabled subscription (and clears its reason).' })
  @IsBoolean()
  @ValidateIf(isPresent)
  active?: boolean;
}
