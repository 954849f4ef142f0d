import jwt from 'jsonwebtoken';
import { TEST_JWT_SECRET } from '../support/test-app';
import { type AuthorizationVariant, type FuzzCase, type QueryValue, orderRelated } from './cases';
import type { ConcreteRequest } from './curl';
import type { OperationSpec } from './operations';
import { Placeholder } from './values';
import type { Account, FuzzWorld, KnownListing } from './world';

/** A path parameter once resolved: the id sent, and what the fuzzer knows of it. */
export interface Target {
  resource: string;
  id: string;
  /** `unknown` for collections the fuzzer does not track. */
  exists: boolean | 'unknown';
  listing?: KnownListing;
}

/** The case made concrete against the world, plus what the oracle needs to judge the answer. */
export interface Resolved {
  request: ConcreteRequest;
  targets: Record<string, Target>;
  query: [string, string | string[]][];
  body: unknown;
  account?: Account;
  /** The refresh token sent, if any. */
  refreshToken?: string;
  /** The email the body names, normalised as the service does. */
  email?: string;
}

const MISSING_IDS = [2147483647, 0];

export async function resolveCase(c: FuzzCase, operation: OperationSpec, world: FuzzWorld): Promise<Resolved> {
  const account = world.account(c.actor);
  const targets: Record<string, Target> = {};
  let path = operation.path;
  for (const [name, value] of Object.entries(c.path)) {
    const target = typeof value === 'string' ? { resource: 'raw', id: value, exists: false } : await resolveTarget(value, world, account);
    targets[name] = target;
    path = path.replace(`{${name}}`, target.id);
  }
  const listing = Object.values(targets).find((t) => t.listing)?.listing;
  const sort = c.query.find(([name]) => name === 'sort')?.[1];
  const query: [string, string | string[]][] = [];
  for (const [name, value] of c.query) {
    if (value instanceof Placeholder) {
      const resolved = resolveQueryPlaceholder(value, world, operation, typeof sort === 'string' ? sort : '', listing);
      if (resolved !== undefined) query.push([name, resolved]);
    } else {
      query.push([name, value]);
    }
  }
  // Relations between parameters hold for the values actually sent (placeholders are only known now).
  if (c.kind === 'valid') orderRelated(operation.parameters.filter((p) => p.in === 'query'), query);
  const search = [
    ...query.flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${encodeURIComponent(name)}=${encodeURIComponent(v)}`)),
    ...(c.rawQuery ? [c.rawQuery] : []),
  ].join('&');

  const headers: Record<string, string> = { ...c.headers };
  const authorization = c.authorization ? authorizationHeader(c.authorization, account, world) : account ? `Bearer ${account.accessToken}` : undefined;
  if (authorization !== undefined) headers.authorization = authorization;

  let body: unknown;
  let text: string | undefined;
  let refreshToken: string | undefined;
  if (c.body && 'json' in c.body) {
    body = resolveBody(c.body.json, c, world, account);
    text = JSON.stringify(body);
    headers['content-type'] = 'application/json';
    const record = body as Record<string, unknown> | null;
    if (record && typeof record === 'object' && typeof record.refresh_token === 'string') refreshToken = record.refresh_token;
  } else if (c.body) {
    text = c.body.raw;
    if (c.body.contentType !== null) headers['content-type'] = c.body.contentType;
    // What the service would read, if it reads it at all (for the world's bookkeeping).
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  const named = body && typeof body === 'object' ? (body as { email?: unknown }).email : undefined;
  // (PostgreSQL text cannot hold U+0000: such an email names no account, and cannot be looked up.)
  const email = typeof named === 'string' && !named.includes('\u0000') ? named.trim().toLowerCase() : undefined;
  return {
    request: { method: operation.method, target: `${path}${search ? `?${search}` : ''}`, headers, body: text },
    targets,
    query,
    body,
    account,
    refreshToken,
    email,
  };
}

async function resolveTarget(placeholder: Placeholder, world: FuzzWorld, account: Account | undefined): Promise<Target> {
  const [kind, resource] = placeholder.kind.split(':');
  const pick = placeholder.pick;
  if (kind === 'number') {
    const id = pick;
    if (resource === 'listings') {
      const { rows } = await world.db.query<{ owner_id: number; created_date: Date }>('SELECT owner_id, created_date FROM listing WHERE id = $1', [id]);
      const row = rows[0];
      return { resource, id: String(id), exists: !!row, listing: row ? { ownerId: row.owner_id, createdDate: row.created_date.toISOString() } : undefined };
    }
    if (resource === 'users') {
      // A raw number can hit one of the world's own actors (small ids are likely): an admin change to it would
      // invalidate tokens the world still uses, so such a pick goes to a victim instead.
      const actors = [world.owner.id, world.other.id, world.admin.id];
      const user = actors.includes(id) ? world.victims[pick % world.victims.length].id : id;
      return { resource, id: String(user), exists: await world.userExists(user) };
    }
    return { resource, id: String(id), exists: 'unknown' };
  }
  if (resource === 'listings') {
    const ids = world.listingIds();
    if (kind === 'existing' && ids.length > 0) {
      const id = ids[pick % ids.length];
      return { resource, id: String(id), exists: true, listing: world.listings.get(id) };
    }
    const missing = [...world.gone.slice(-10), ...MISSING_IDS];
    return { resource, id: String(missing[pick % missing.length]), exists: false };
  }
  if (resource === 'users') {
    if (kind === 'existing') {
      const candidates = [...world.victims.map((v) => v.id), world.admin.id, ...(account ? [account.id] : [])];
      return { resource, id: String(candidates[pick % candidates.length]), exists: true };
    }
    return { resource, id: String(MISSING_IDS[pick % MISSING_IDS.length]), exists: false };
  }
  if (resource === 'api-keys') {
    if (kind === 'existing' && account) {
      // The caller's own keys still in use: its to revoke (and an admin's, through the admin route too).
      const { rows } = await world.db.query<{ id: number }>('SELECT id FROM api_key WHERE owner_id = $1 AND revoked_date IS NULL ORDER BY id', [account.id]);
      if (rows.length > 0) return { resource, id: String(rows[pick % rows.length].id), exists: true };
    }
    if (kind === 'missing') return { resource, id: String(MISSING_IDS[pick % MISSING_IDS.length]), exists: false };
  }
  return { resource, id: String(pick % 1000), exists: 'unknown' };
}

function resolveQueryPlaceholder(placeholder: Placeholder, world: FuzzWorld, operation: OperationSpec, sort: string, listing: KnownListing | undefined): string | undefined {
  if (placeholder.kind === 'cursor') return world.cursorFor(operation.id, sort, placeholder.pick);
  if (placeholder.kind === 'instant') {
    const around = listing ? Date.parse(listing.createdDate) : world.epochStart.getTime();
    return new Date(around + placeholder.pick).toISOString();
  }
  throw new Error(`unknown query placeholder ${placeholder.kind}`);
}

function resolveBody(value: unknown, c: FuzzCase, world: FuzzWorld, account: Account | undefined): unknown {
  if (value instanceof Placeholder) return resolveBodyPlaceholder(value, c, world, account);
  if (Array.isArray(value)) return value.map((item) => resolveBody(item, c, world, account));
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      Object.defineProperty(copy, key, { value: resolveBody((value as Record<string, unknown>)[key], c, world, account), enumerable: true, configurable: true, writable: true });
    }
    return copy;
  }
  return value;
}

function resolveBodyPlaceholder(placeholder: Placeholder, c: FuzzCase, world: FuzzWorld, account: Account | undefined): unknown {
  const accounts = world.accountsForPicks();
  const picked = accounts[c.accountPick % accounts.length];
  switch (placeholder.kind) {
    case 'account-email':
      return placeholder.pick % 3 === 1 ? picked.email.toUpperCase() : picked.email;
    case 'account-password':
      return picked.password;
    case 'own-password':
      return account?.password ?? 'correct horse battery staple';
    case 'refresh-token': {
      const tokens = world.tokensFor(c.actor);
      return tokens.length === 0 ? 'no-token-yet' : tokens[placeholder.pick % tokens.length];
    }
    case 'user-id': {
      const ids = [...accounts.map((a) => a.id), ...MISSING_IDS.filter((id) => id > 0)];
      return ids[placeholder.pick % ids.length];
    }
    default:
      throw new Error(`unknown body placeholder ${placeholder.kind}`);
  }
}

const ISSUER = 'listing-api';

function authorizationHeader(variant: AuthorizationVariant, account: Account | undefined, world: FuzzWorld): string {
  const token = account?.accessToken ?? world.owner.accessToken;
  const [header, payload, signature] = token.split('.');
  const claims = jwt.decode(token) as jwt.JwtPayload;
  const now = Math.floor(Date.now() / 1000);
  const sign = (body: object, secret = TEST_JWT_SECRET, options: jwt.SignOptions = {}) => jwt.sign(body, secret, { algorithm: 'HS256', ...options });
  switch (variant.kind) {
    case 'text':
      return variant.value;
    case 'scheme':
      return `${variant.scheme} ${token}`;
    case 'tampered': {
      if (variant.how === 'appended') return `Bearer ${token}x`;
      if (variant.how === 'signature') return `Bearer ${header}.${payload}.${flip(signature)}`;
      // Another subject, never the caller's own (the signature no longer matches).
      const sub = String(claims.sub === String(world.admin.id) ? world.owner.id : world.admin.id);
      const forged = Buffer.from(JSON.stringify({ ...claims, sub })).toString('base64url');
      return `Bearer ${header}.${forged}.${signature}`;
    }
    case 'forged': {
      const base = { ver: claims.ver as number, sub: claims.sub, iss: ISSUER, aud: ISSUER, iat: now, exp: now + 600 };
      switch (variant.claims) {
        case 'expired':
          return `Bearer ${sign({ ...base, iat: now - 1000, exp: now - 10 })}`;
        case 'no-exp': {
          const { exp: _exp, ...rest } = base;
          return `Bearer ${sign(rest)}`;
        }
        case 'unknown-user':
          return `Bearer ${sign({ ...base, sub: '2147483647' })}`;
        case 'sub-out-of-range':
          return `Bearer ${sign({ ...base, sub: '9999999999' })}`;
        case 'sub-not-numeric':
          return `Bearer ${sign({ ...base, sub: 'admin' })}`;
        case 'old-version':
          return `Bearer ${sign({ ...base, ver: (base.ver ?? 0) - 1 })}`;
        case 'other-issuer':
          return `Bearer ${sign({ ...base, iss: 'someone-else' })}`;
        case 'other-secret':
          return `Bearer ${sign(base, 'another-secret-another-secret-another-secret')}`;
        case 'alg-none':
          return `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify(base)).toString('base64url')}.`;
        case 'not-yet-valid':
          return `Bearer ${sign({ ...base, nbf: now + 3600 })}`;
      }
    }
  }
}

function flip(text: string): string {
  const last = text.at(-2) ?? 'A';
  return `${text.slice(0, -2)}${last === 'A' ? 'B' : 'A'}${text.slice(-1)}`;
}

/** The query as typed values, for checking it against the parameters' schemas. */
export function typedQueryValue(value: string | string[], type: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => typedQueryValue(v, type));
  if ((type === 'integer' || type === 'number') && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

export type { QueryValue };
