import { ApiPropertyOptional } from '@nestjs/swagger';
import { InstantAfter, MAX_INT4, QUERY_INSTANT_RANGE_DOC, QueryCursor, QueryEnum, QueryInstant, type QueryInstantValue, QueryInt } from '@app/common';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, type AuditAction, type AuditTargetType } from '../audit-actions';

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;

/** Query of GET /admin/audit-log: filters (all optional, combined with AND) and key pagination. */
export class AuditLogQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: AUDIT_PAGE_MAX, default: AUDIT_PAGE_DEFAULT, description: 'Entries per page.' })
  @QueryInt(1, AUDIT_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the `Link: <...>; rel="next"` header of the previous page (with the same filters).' })
  @QueryCursor()
  cursor?: string;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_INT4, description: 'Only changes made by this account (directly or with one of its API keys).' })
  @QueryInt(1, MAX_INT4)
  actor_user_id?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_INT4, description: 'Only changes made with this API key.' })
  @QueryInt(1, MAX_INT4)
  api_key_id?: number;

  @ApiPropertyOptional({ enum: AUDIT_TARGET_TYPES, description: 'Only changes to this kind of thing.' })
  @QueryEnum(AUDIT_TARGET_TYPES)
  target_type?: AuditTargetType;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_INT4, description: 'Only changes to the thing with this id (best with `target_type`: ids of different types overlap).' })
  @QueryInt(1, MAX_INT4)
  target_id?: number;

  @ApiPropertyOptional({ enum: AUDIT_ACTIONS, description: 'Only this action.' })
  @QueryEnum(AUDIT_ACTIONS)
  action?: AuditAction;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    description: `Only entries at or after this instant: RFC 3339 with a time zone, ${QUERY_INSTANT_RANGE_DOC}.`,
    example: '2026-12-01T00:00:00Z',
  })
  @QueryInstant({ optional: true })
  from?: QueryInstantValue;

  @ApiPropertyOptional({
    type: 'string',
    format: 'date-time',
    description: `Only entries before this instant (exclusive): RFC 3339 with a time zone, ${QUERY_INSTANT_RANGE_DOC}. Must be later than \`from\`.`,
    example: '2026-12-02T00:00:00Z',
  })
  @InstantAfter('from')
  @QueryInstant({ optional: true })
  to?: QueryInstantValue;
}
