import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { QueryCursor, QueryInt } from '@app/common';
import { ListingView } from '@app/listings';
import { WebhookFilterDto } from './webhook-filter.dto';
import { SUBSCRIBABLE } from './webhook-write.dto';

export const WEBHOOK_PAGE_DEFAULT = 50;
export const WEBHOOK_PAGE_MAX = 200;

/** A subscription as the API shows it: never its secret (only at creation and rotation). */
@ApiSchema({ name: 'Webhook' })
export class WebhookView {
  @ApiProperty({ type: 'integer', example: 7 })
  id!: number;

  @ApiProperty({ example: 'https://crm.example.com/hooks/listings' })
  url!: string;

  @ApiProperty({ type: [String], enum: SUBSCRIBABLE, example: ['listing.price_changed'] })
  events!: string[];

  @ApiProperty({ type: WebhookFilterDto, description: 'The filter, `{}` for every listing.' })
  filter!: WebhookFilterDto;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ description: 'false: nothing is delivered (paused by its owner, or disabled: see disabled_reason).' })
  active!: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'Why the service disabled it (410 Gone, or too many dead deliveries in a row).', example: null })
  disabled_reason!: string | null;

  @ApiProperty({ type: 'integer', description: 'The account that owns it.' })
  owner_id!: number;

  @ApiProperty({ example: '2026-12-03T10:00:00.000Z' })
  created_date!: string;

  @ApiProperty({ example: '2026-12-03T10:00:00.000Z' })
  updated_date!: string;
}

@ApiSchema({ name: 'WebhookWithSecret' })
export class WebhookWithSecretView extends WebhookView {
  @ApiProperty({
    description: 'The signing secret (`whsec_` + base64 of 32 random bytes): shown here and never again. Verify deliveries with it (Standard Webhooks).',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;

  @ApiPropertyOptional({ type: String, nullable: true, description: 'After a rotation: until when the previous secret also signs every delivery.' })
  previous_secret_expires_date?: string | null;
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed', 'dead'] as const;

@ApiSchema({ name: 'WebhookDelivery' })
export class DeliveryView {
  @ApiProperty({ type: 'integer' })
  id!: number;

  @ApiProperty({ description: 'The webhook-id header: the same on every attempt.', example: 'evt_4711_price_changed' })
  event_id!: string;

  @ApiProperty({ example: 'listing.price_changed' })
  event_type!: string;

  @ApiProperty({
    enum: DELIVERY_STATUSES,
    description: '`pending` (not attempted yet), `succeeded` (a 2xx), `failed` (the last attempt failed; another is scheduled at next_attempt_date), `dead` (no more attempts).',
  })
  status!: string;

  @ApiProperty({ type: 'integer' })
  attempts!: number;

  @ApiProperty({ type: 'integer', nullable: true, description: 'The last attempt\'s HTTP status; null without a response.' })
  response_status!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'The last response\'s body, its first 1 KB at most.' })
  response_body!: string | null;

  @ApiProperty({ type: 'integer', nullable: true })
  duration_ms!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed without a response (`timeout`, `connection refused`, `destination not allowed`, …).' })
  error!: string | null;

  @ApiProperty()
  created_date!: string;

  @ApiProperty({ type: String, nullable: true })
  next_attempt_date!: string | null;
}

export class WebhooksQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: WEBHOOK_PAGE_MAX, default: WEBHOOK_PAGE_DEFAULT })
  @QueryInt(1, WEBHOOK_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the `Link: <...>; rel="next"` header of the previous page.' })
  @QueryCursor()
  cursor?: string;
}

@ApiSchema({ name: 'WebhookPreviousPrice' })
export class WebhookPreviousPrice {
  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: 'The price before the change, in whole euros. null only when the listing was deleted before the event was handed on (a deletion forgets its prices).',
    example: 300000,
  })
  latest_price_eur!: number | null;
}

@ApiSchema({ name: 'WebhookListingEventData' })
export class WebhookListingEventData {
  @ApiProperty({ type: ListingView, description: 'The listing as GET /listings/{id} shows it after the change (for listing.deleted: as it was last).' })
  listing!: ListingView;

  @ApiPropertyOptional({ type: WebhookPreviousPrice, description: 'listing.price_changed only.' })
  previous?: WebhookPreviousPrice;

  @ApiProperty({
    type: 'integer',
    description:
      'The event\'s position in the change feed (GET /listings/changes). Deliveries are not ordered (a retry can overtake nothing, but a newer event can arrive before an older one\'s retry): keep the highest sequence seen per listing and drop an event with a lower one.',
    example: 4711,
  })
  sequence!: number;
}

/** The body of a listing event delivery (what a receiver verifies and parses). */
@ApiSchema({ name: 'WebhookListingEvent', description: 'The JSON body POSTed to a subscription\'s URL for a listing event (Standard Webhooks: type, timestamp, data).' })
export class WebhookListingEvent {
  @ApiProperty({ enum: ['listing.created', 'listing.updated', 'listing.price_changed', 'listing.deleted'] })
  type!: string;

  @ApiProperty({ description: 'When the change was made (RFC 3339, UTC).', example: '2026-12-03T10:00:00.000Z' })
  timestamp!: string;

  @ApiProperty({ type: WebhookListingEventData })
  data!: WebhookListingEventData;
}

@ApiSchema({ name: 'WebhookPingData' })
export class WebhookPingData {
  @ApiProperty({ type: 'integer', description: 'The subscription pinged.' })
  webhook_id!: number;
}

/** The body of POST /webhooks/{id}/ping's delivery. */
@ApiSchema({ name: 'WebhookPingEvent', description: 'The JSON body of a webhook.ping delivery.' })
export class WebhookPingEvent {
  @ApiProperty({ enum: ['webhook.ping'] })
  type!: string;

  @ApiProperty({ example: '2026-12-03T10:00:00.000Z' })
  timestamp!: string;

  @ApiProperty({ type: WebhookPingData })
  data!: WebhookPingData;
}
