import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES } from '../audit-actions';

@ApiSchema({ name: 'AuditActor', description: 'Who made the change. All null for a failed sign-in (nobody is signed in).' })
export class AuditActorView {
  @ApiProperty({ type: 'integer', nullable: true, example: 7 })
  user_id!: number | null;
  @ApiProperty({ type: 'integer', nullable: true, description: 'The API key the request was authenticated with, if any.', example: null })
  api_key_id!: number | null;
  @ApiProperty({ type: String, nullable: true, description: '`USER` or `ADMIN`: the actor\'s role when it made the change.', example: 'USER' })
  role!: string | null;
}

@ApiSchema({ name: 'AuditTarget', description: 'What was changed.' })
export class AuditTargetView {
  @ApiProperty({ enum: AUDIT_TARGET_TYPES, example: 'listing' })
  type!: string;
  @ApiProperty({ type: 'integer', nullable: true, description: 'Null for a failed sign-in with an email no account has.', example: 12 })
  id!: number | null;
}

/** `{ "field": [before, after] }`. */
const CHANGES = {
  type: 'object',
  additionalProperties: { type: 'array', minItems: 2, maxItems: 2, items: {} },
} as const;

@ApiSchema({ name: 'AuditEntry', description: 'One change made through the API.' })
export class AuditEntryView {
  @ApiProperty({ type: 'integer', example: 1042 })
  id!: number;
  @ApiProperty({ example: '2026-12-03T10:15:30.123Z' })
  at!: string;
  @ApiProperty({ enum: AUDIT_ACTIONS, example: 'listing.replaced' })
  action!: string;
  @ApiProperty({ type: AuditActorView })
  actor!: AuditActorView;
  @ApiProperty({ type: AuditTargetView })
  target!: AuditTargetView;
  @ApiProperty({ type: String, nullable: true, description: 'The X-Request-Id of the request that made the change.', example: '0f8a3c1e-5b7d-4e2a-9c61-2d4b8e7f1a90' })
  request_id!: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'The client IP (behind a proxy: as TRUST_PROXY says).', example: '203.0.113.7' })
  ip!: string | null;
  @ApiProperty({
    ...CHANGES,
    description:
      'The fields that changed, each as `[before, after]` (null before a creation, null after a deletion; nested fields as `postal_address.city`). ' +
      'Never a password, hash, token, key or secret: a password change or a secret rotation has none.',
    example: { latest_price_eur: [350000, 365000] },
  })
  changes!: Record<string, [unknown, unknown]>;
}
