import { createHash, randomBytes } from 'node:crypto';
import type { ApiKeyAccess, ApiKeyScope } from '@app/common';

/** Every API key starts with this: what tells the global guard a key from an access token. */
export const API_KEY_PREFIX = 'lak_';

/** The random part: 32 bytes as base64url (43 characters). */
const SECRET_BYTES = 32;

/** What a key looks like; anything else is refused without a database read. */
const API_KEY_SHAPE = /^lak_[A-Za-z0-9_-]{43}$/;

/** How many leading characters of a key are kept in clear, to tell keys apart in a list. */
export const DISPLAY_PREFIX_LENGTH = 12;

export function isApiKey(bearer: string): boolean {
  return bearer.startsWith(API_KEY_PREFIX);
}

export function hasApiKeyShape(bearer: string): boolean {
  return API_KEY_SHAPE.test(bearer);
}

/** A new key, returned once to its creator. */
export function newApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(SECRET_BYTES).toString('base64url')}`;
}

/**
 * What the database keeps of a key. SHA-256, not a password hash: the key is 256 random bits, which no
 * amount of guessing reaches, so a slow hash would add nothing but its cost to every request.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/**
 * Why a key may not call a route, or undefined when it may: the one place a key's scopes meet a route's
 * declaration (@RequiresScope(), @AnyApiKey(), @NoApiKeys(), or nothing). A route that declares nothing is
 * closed to keys. The message names the missing scope, so a program's author knows which key to make.
 * The role is checked apart (RolesGuard): an `admin` key of an account that is no longer an admin does nothing.
 */
export function apiKeyRefusal(access: ApiKeyAccess | undefined, scopes: readonly ApiKeyScope[]): string | undefined {
  if (access === 'any') return undefined;
  if (access === 'never') return 'API keys cannot manage the account (passwords, API keys, sign-ins and tokens): use an access token';
  if (access === undefined) return 'This route does not accept API keys: use an access token';
  return scopes.includes(access) ? undefined : `This API key lacks the scope ${access}`;
}
