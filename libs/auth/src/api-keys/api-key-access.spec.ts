import { API_KEY_PREFIX, DISPLAY_PREFIX_LENGTH, apiKeyRefusal, hasApiKeyShape, hashApiKey, isApiKey, newApiKey } from './api-key-access';

describe('apiKeyRefusal (what a key may call)', () => {
  it('a key holding the scope a route requires may call it', () => {
    expect(apiKeyRefusal('listings:write', ['listings:write'])).toBeUndefined();
    expect(apiKeyRefusal('webhooks:manage', ['listings:write', 'webhooks:manage'])).toBeUndefined();
    expect(apiKeyRefusal('admin', ['admin'])).toBeUndefined();
  });

  it('a key without it is refused, and the refusal names the missing scope', () => {
    expect(apiKeyRefusal('listings:write', ['webhooks:manage'])).toBe('This API key lacks the scope listings:write');
    expect(apiKeyRefusal('webhooks:manage', ['listings:write', 'admin'])).toBe('This API key lacks the scope webhooks:manage');
    expect(apiKeyRefusal('admin', ['listings:write', 'webhooks:manage'])).toBe('This API key lacks the scope admin');
  });

  it('no scope implies another: admin does not grant listings:write or webhooks:manage', () => {
    expect(apiKeyRefusal('listings:write', ['admin'])).toMatch(/listings:write/);
    expect(apiKeyRefusal('webhooks:manage', ['admin'])).toMatch(/webhooks:manage/);
  });

  it('account management refuses every key, whatever its scopes', () => {
    expect(apiKeyRefusal('never', ['listings:write', 'webhooks:manage', 'admin'])).toMatch(/cannot manage the account/);
  });

  it('a route that declares nothing is closed to keys (a new route does not open to them by accident)', () => {
    expect(apiKeyRefusal(undefined, ['listings:write', 'webhooks:manage', 'admin'])).toMatch(/does not accept API keys/);
  });

  it('a route open to any key accepts each of them', () => {
    expect(apiKeyRefusal('any', ['listings:write'])).toBeUndefined();
    expect(apiKeyRefusal('any', ['admin'])).toBeUndefined();
  });
});

describe('API key format', () => {
  it('lak_ and 32 random bytes as base64url, never twice the same', () => {
    const keys = new Set(Array.from({ length: 100 }, () => newApiKey()));
    expect(keys.size).toBe(100);
    for (const key of keys) {
      expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
      expect(Buffer.from(key.slice(API_KEY_PREFIX.length), 'base64url')).toHaveLength(32);
      expect(hasApiKeyShape(key)).toBe(true);
      expect(isApiKey(key)).toBe(true);
    }
    expect(DISPLAY_PREFIX_LENGTH).toBe(12);
  });

  it('anything else is not a key: no database read for it', () => {
    const key = newApiKey();
    for (const other of ['lak_', `${key}x`, key.slice(0, -1), `lak_${'!'.repeat(43)}`, 'eyJhbGciOi.x.y']) expect(hasApiKeyShape(other)).toBe(false);
    expect(isApiKey('eyJhbGciOi.x.y')).toBe(false);
  });

  it('is stored as the SHA-256 of the whole key', () => {
    expect(hashApiKey('lak_abc')).toBe('e0c8f05bc3541533b23a3e3bdc68f2fc92f9338a045ddf049649b1c7113a4742');
    expect(hashApiKey('lak_abc')).not.toBe(hashApiKey('lak_abd'));
  });
});
