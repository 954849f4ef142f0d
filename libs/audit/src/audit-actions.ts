/**
 * What the audit log records: the action names are stable (stored, filtered on, read by people and scripts), so a
 * name is never reused for something else. One action per kind of change, so that a filter on `action` answers
 * "who demoted whom" without reading `changes`.
 */
export const AUDIT_ACTIONS = [
  'listing.created',
  'listing.replaced',
  'listing.deleted',
  'listing.ownership_transferred',
  'user.registered',
  'user.role_changed',
  'user.active_changed',
  'user.password_changed',
  'api_key.created',
  'api_key.revoked',
  'webhook.created',
  'webhook.updated',
  'webhook.deleted',
  'webhook.secret_rotated',
  'auth.sign_in_failed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_TARGET_TYPES = ['listing', 'user', 'api_key', 'webhook'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

/** JSON values only: what `changes` holds is stored as JSONB and served as it is. */
export type AuditValue = string | number | boolean | null | readonly AuditValue[] | { readonly [key: string]: AuditValue };

/** `{ "field": [before, after] }`: null before a creation, null after a deletion. */
export type AuditChanges = Record<string, [AuditValue, AuditValue]>;

type Flat = Record<string, AuditValue>;

/** `{ postal_address: { city } }` → `{ "postal_address.city" }`: one level of nesting, as the wire shapes have. */
function flatten(value: object | null): Flat {
  const flat: Flat = {};
  if (value === null) return flat;
  for (const [key, field] of Object.entries(value) as [string, unknown][]) {
    if (field !== null && typeof field === 'object' && !Array.isArray(field)) {
      for (const [inner, innerValue] of Object.entries(field) as [string, AuditValue][]) flat[`${key}.${inner}`] = innerValue;
    } else if (field !== undefined) {
      flat[key] = field as AuditValue;
    }
  }
  return flat;
}

function same(a: AuditValue, b: AuditValue): boolean {
  if (a === b) return true;
  // Arrays and objects (webhook events, filters): compared as JSON, which is how they are stored.
  return typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The fields of `before` and `after` (the same shape, either null for a creation or a deletion) whose values
 * differ, as `{ field: [before, after] }`; an absent field counts as null. Only the fields not in `ignore`, so a
 * caller names what must never be recorded (or is noise, like `updated_date`) once, where it builds the values.
 */
export function changesBetween(before: object | null, after: object | null, ignore: readonly string[] = []): AuditChanges {
  const old = flatten(before);
  const now = flatten(after);
  const changes: AuditChanges = {};
  for (const field of new Set([...Object.keys(old), ...Object.keys(now)])) {
    // An absent field and a null one are the same: no value.
    const [was, is] = [old[field] ?? null, now[field] ?? null];
    if (ignore.includes(field) || same(was, is)) continue;
    changes[field] = [was, is];
  }
  return changes;
}
