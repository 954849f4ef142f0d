import type { FuzzCase } from './cases';
import { type OperationSpec, isSuccess } from './operations';
import type { Resolved } from './resolve';
import { instantProblem } from './values';
import type { FuzzWorld } from './world';

/**
 * What the answer to a request must be. Generic rules first, from the document and the world alone
 * (a secured operation without a token is a 401, an admin operation for anyone else a 403, an unknown
 * id a 404, someone else's listing a 403); then the refusals some operations document for requests
 * that are well-formed (a taken email, wrong credentials, a spent refresh token). Anything else valid
 * must succeed.
 */
export interface Expectation {
  statuses: number[];
  why: string;
  /** A documented refusal that still changes something (reusing a spent refresh token revokes its family). */
  mayChange?: boolean;
}

/** Operations only admins may call: the document tags them `admin`. */
export const isAdminOnly = (operation: OperationSpec) => operation.tags.includes('admin');

const ADMIN_ROLE_CHANGES = new Set(['USER']);

export async function expectationFor(c: FuzzCase, operation: OperationSpec, resolved: Resolved, world: FuzzWorld): Promise<Expectation | undefined> {
  if (c.kind === 'odd') {
    // No verdict on the status; a refusal may still change what the same request, valid, could.
    const asValid = await expectationFor({ ...c, kind: 'valid' }, operation, resolved, world);
    return { statuses: [], why: 'odd request: only the universal checks', mayChange: asValid?.mayChange };
  }
  if (c.kind === 'invalid') {
    const statuses = [400, 413, 415, 422];
    if (operation.secured && (c.actor === 'anonymous' || c.authorization)) statuses.push(401);
    if (isAdminOnly(operation) && (c.actor === 'owner' || c.actor === 'other') && !c.authorization) statuses.push(403);
    return { statuses, why: 'a request that breaks the document is a 4xx' };
  }

  if (operation.secured && c.actor === 'anonymous') return { statuses: [401], why: 'secured operation, no token' };
  if (isAdminOnly(operation) && c.actor !== 'admin') return { statuses: [403], why: 'admin operation, caller is not an admin' };
  // The query is validated before the listing is looked up: a date the database cannot take is a 400, even for an unknown id.
  const refusedDate = refusedDateParameter(operation, resolved);
  if (refusedDate) return refusedDate;
  const special = await documentedRefusal(operation, resolved, world, c.actor === 'admin');
  for (const target of Object.values(resolved.targets)) {
    // When the body is refused too (a transfer to an account that does not exist), either answer is right.
    if (target.exists === false) return { statuses: [404, ...(special?.statuses ?? [])], why: `${target.resource} ${target.id} does not exist${special ? `, and ${special.why}` : ''}` };
    if (target.exists === 'unknown') return { statuses: operation.statuses.filter((s) => s < 500), why: `whether ${target.resource} ${target.id} exists is unknown` };
  }
  const listing = Object.values(resolved.targets).find((t) => t.resource === 'listings')?.listing;
  if (listing && operation.method !== 'GET' && operation.statuses.includes(403) && !isAdminOnly(operation)) {
    const caller = resolved.account;
    if (caller && caller.id !== listing.ownerId && c.actor !== 'admin') return { statuses: [403], why: 'not the owner of the listing, not an admin' };
  }
  if (special) return special;
  return { statuses: operation.statuses.filter(isSuccess), why: 'a valid request succeeds' };
}

async function documentedRefusal(operation: OperationSpec, resolved: Resolved, world: FuzzWorld, byAdmin: boolean): Promise<Expectation | undefined> {
  const body = (resolved.body ?? {}) as Record<string, unknown>;
  switch (operation.id) {
    case 'register': {
      const taken = resolved.email !== undefined && (await world.accountByEmail(resolved.email)) !== undefined;
      return taken ? { statuses: [409], why: 'email taken' } : undefined;
    }
    case 'login': {
      const account = resolved.email === undefined ? undefined : await world.accountByEmail(resolved.email);
      const password = resolved.email === undefined ? undefined : world.passwordOf(resolved.email);
      const ok = account?.active === true && password !== undefined && password === body.password;
      return ok ? undefined : { statuses: [401], why: account ? (account.active ? 'wrong password' : 'account deactivated') : 'no such account' };
    }
    case 'refresh': {
      const state = resolved.refreshToken === undefined ? 'unknown' : await world.tokenState(resolved.refreshToken);
      if (state === 'live') {
        const owner = world.refreshTokens.get(resolved.refreshToken!)?.userId;
        const active = (await world.db.query<{ active: boolean }>('SELECT active FROM app_user WHERE id = $1', [owner ?? 0])).rows[0]?.active;
        return active ? undefined : { statuses: [401], why: 'account deactivated', mayChange: true };
      }
      return { statuses: [401], why: `refresh token ${state}`, mayChange: state === 'spent' };
    }
    case 'change-password':
      return body.current_password === resolved.account?.password ? undefined : { statuses: [401], why: 'current password wrong' };
    case 'admin-update-user': {
      const self = resolved.targets.id?.id === String(resolved.account?.id);
      const demotesOrDeactivates = ADMIN_ROLE_CHANGES.has(body.role as string) || body.active === false;
      return self && demotesOrDeactivates ? { statuses: [409], why: 'an admin cannot demote or deactivate themselves' } : undefined;
    }
    case 'admin-transfer-listing': {
      const exists = typeof body.owner_id === 'number' && (await world.userExists(body.owner_id));
      return exists ? undefined : { statuses: [422], why: `owner ${String(body.owner_id)} does not exist` };
    }
    case 'create-api-key': {
      // The admin scope and a key that never expires are for admins' keys only; and an account has at most 25 keys in use.
      const scopes = Array.isArray(body.scopes) ? (body.scopes as unknown[]) : [];
      if (!byAdmin && (scopes.includes('admin') || body.expires_in_days === null)) return { statuses: [422], why: 'admin scope or no expiry, caller is not an admin' };
      return { statuses: [201, 409], why: 'created, unless the account already has the most keys it may have in use' };
    }
    case 'get-listing-price-at': {
      const listing = resolved.targets.id?.listing;
      const date = resolved.query.find(([name]) => name === 'date')?.[1];
      if (!listing || typeof date !== 'string') return undefined;
      return instantBefore(date, listing.createdDate) ? { statuses: [404], why: `no price yet at ${date} (created ${listing.createdDate})` } : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * A date-time query value the format allows but the service refuses, as the parameter's description
 * says: an instant outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999Z (offset and fraction
 * applied), or a leap second. Always a 400, a client error: never a 5xx, never a success.
 */
function refusedDateParameter(operation: OperationSpec, resolved: Resolved): Expectation | undefined {
  for (const [name, value] of resolved.query) {
    const parameter = operation.parameters.find((p) => p.in === 'query' && p.name === name);
    if (parameter?.schema.format !== 'date-time' || typeof value !== 'string') continue;
    const problem = instantProblem(value);
    if (problem) return { statuses: [400], why: `query ${name}=${value}: ${problem}` };
  }
  return undefined;
}

/** Whether the RFC 3339 instant `text` is before `iso`, a whole millisecond: compare the instant rounded down to its millisecond. */
export function instantBefore(text: string, iso: string): boolean {
  const match = /^(.*?)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return false;
  const fraction = (match[2] ?? '').padEnd(9, '0');
  const whole = Date.parse(`${match[1].toUpperCase()}.${fraction.slice(0, 3)}${match[3].toUpperCase()}`);
  return whole < Date.parse(iso);
}
