import { Redis } from 'ioredis';
import { ApiClient, type ApiResponse, nextPageUrl } from './support/http';
import { type Listing, aListing } from './support/listings';
import { TEST_REDIS_URL, describeWithRedis, uniqueRedisPrefix } from './support/redis';
import { type SignedIn, type TestApp, signIn, signUp, signUpAdmin, startTestApp } from './support/test-app';

interface ApiKey {
  id: number;
  name: string;
  scopes: string[];
  prefix: string;
  created_date: string;
  expires_date: string | null;
  last_used_date: string | null;
  key?: string;
}

interface Created extends ApiKey {
  key: string;
  /** A client that sends this key as its bearer. */
  api: ApiClient;
}

interface ErrorBody {
  message: string;
  errors?: { field: string; message: string }[];
}

const DAY_MS = 86_400_000;
const INVALID = { message: 'Invalid or expired access token' };

/**
 * API keys end to end (issue 19): made with an access token, used as `Authorization: Bearer lak_…` on real HTTP
 * against the run's database, refused past their scopes, after revocation, expiry and the owner's deactivation,
 * never let near account management, and rate limited per key.
 */
describe('API keys', () => {
  let testApp: TestApp;
  let owner: SignedIn;
  let other: SignedIn;
  let admin: SignedIn;

  beforeAll(async () => {
    testApp = await startTestApp();
    [owner, other, admin] = await Promise.all([signUp(testApp, 'keys'), signUp(testApp, 'keys-other'), signUpAdmin(testApp)]);
  });
  afterAll(() => testApp.close());

  async function createKey(as: SignedIn, body: Record<string, unknown>): Promise<Created> {
    const response = await as.api.post<ApiKey & { key: string }>('/auth/api-keys', { name: 'a program', ...body });
    expect(response.status).toBe(201);
    return { ...response.body, api: testApp.api.as(response.body.key) };
  }

  async function keysOf(as: SignedIn, path = '/auth/api-keys?limit=200'): Promise<ApiKey[]> {
    const response = await as.api.get<ApiKey[]>(path);
    expect(response.status).toBe(200);
    return response.body;
  }

  describe('creating', () => {
    it('returns the key once: lak_ and 32 random bytes, its 12-character prefix, 90 days by default', async () => {
      const before = Date.now();
      const created = await createKey(owner, { name: 'CRM sync', scopes: ['listings:write'] });
      expect(created.key).toMatch(/^lak_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(created.key.slice(4), 'base64url')).toHaveLength(32);
      expect(created).toMatchObject({ name: 'CRM sync', scopes: ['listings:write'], prefix: created.key.slice(0, 12), last_used_date: null });
      const createdAt = Date.parse(created.created_date);
      expect(createdAt).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(created.expires_date!) - createdAt).toBe(90 * DAY_MS);
    });

    it('expires_in_days sets the expiry; an admin may make a key that never expires, with the admin scope', async () => {
      const weekly = await createKey(owner, { scopes: ['webhooks:manage'], expires_in_days: 7 });
      expect(Date.parse(weekly.expires_date!) - Date.parse(weekly.created_date)).toBe(7 * DAY_MS);
      const forever = await createKey(admin, { scopes: ['admin', 'listings:write'], expires_in_days: null });
      expect(forever).toMatchObject({ scopes: ['admin', 'listings:write'], expires_date: null });
    });

    it.each([
      ['no scope', { scopes: [] }, 'scopes'],
      ['an unknown scope', { scopes: ['listings:read'] }, 'scopes'],
      ['a scope twice', { scopes: ['listings:write', 'listings:write'] }, 'scopes'],
      ['scopes missing', { scopes: undefined }, 'scopes'],
      ['expires_in_days 0', { scopes: ['listings:write'], expires_in_days: 0 }, 'expires_in_days'],
      ['expires_in_days 366', { scopes: ['listings:write'], expires_in_days: 366 }, 'expires_in_days'],
      ['expires_in_days not whole', { scopes: ['listings:write'], expires_in_days: 1.5 }, 'expires_in_days'],
      ['expires_in_days as text', { scopes: ['listings:write'], expires_in_days: '30' }, 'expires_in_days'],
      ['an empty name', { scopes: ['listings:write'], name: '' }, 'name'],
      ['a name over 100 characters', { scopes: ['listings:write'], name: 'x'.repeat(101) }, 'name'],
      ['null expiry from a non-admin', { scopes: ['listings:write'], expires_in_days: null }, 'expires_in_days'],
      ['the admin scope from a non-admin', { scopes: ['admin'] }, 'scopes'],
    ])('refuses %s: 422 naming the field, and no key is made', async (_what, body, field) => {
      const before = (await keysOf(owner)).length;
      const response = await owner.api.post<ErrorBody>('/auth/api-keys', { name: 'bad', ...body });
      expect(response.status).toBe(422);
      expect(response.body.errors?.map((e) => e.field)).toContain(field);
      expect(await keysOf(owner)).toHaveLength(before);
    });
  });

  describe('listing', () => {
    it('shows the caller\'s keys, never the secret, never another account\'s', async () => {
      const created = await createKey(owner, { name: 'listed', scopes: ['listings:write'] });
      const response = await owner.api.get<ApiKey[]>('/auth/api-keys?limit=200');
      expect(response.status).toBe(200);
      expect(response.text).not.toContain(created.key);
      const listed = response.body.find((k) => k.id === created.id);
      expect(listed).toEqual({ id: created.id, name: 'listed', scopes: ['listings:write'], prefix: created.prefix, created_date: created.created_date, expires_date: created.expires_date, last_used_date: null });
      expect(listed).not.toHaveProperty('key');
      expect((await keysOf(other)).map((k) => k.id)).not.toContain(created.id);
    });

    it('is paginated by key: limit, then the Link header\'s cursor', async () => {
      const paged = await signUp(testApp, 'keys-paged');
      const ids: number[] = [];
      for (let i = 0; i < 3; i += 1) ids.push((await createKey(paged, { name: `key ${i}`, scopes: ['listings:write'] })).id);
      const first = await paged.api.get<ApiKey[]>('/auth/api-keys?limit=2');
      expect(first.body.map((k) => k.id)).toEqual(ids.slice(0, 2));
      const next = nextPageUrl(first);
      expect(next).toBeDefined();
      const second = await paged.api.get<ApiKey[]>(next!);
      expect(second.body.map((k) => k.id)).toEqual(ids.slice(2));
      expect(nextPageUrl(second as ApiResponse)).toBeUndefined();
      expect((await paged.api.get('/auth/api-keys?cursor=not-a-cursor')).status).toBe(400);
    });
  });

  describe('using', () => {
    it('listings:write creates, replaces and deletes the owner\'s listings, as the owner', async () => {
      const key = await createKey(owner, { scopes: ['listings:write'] });
      const created = await key.api.post<Listing>('/listings', aListing({ latest_price_eur: 250_000 }));
      expect(created.status).toBe(201);
      const mine = await owner.api.get<Listing[]>('/auth/me/listings?limit=200');
      expect(mine.body.map((l) => l.id)).toContain(created.body.id);
      const replaced = await key.api.put<Listing>(`/listings/${created.body.id}`, aListing({ latest_price_eur: 240_000 }));
      expect(replaced.status).toBe(200);
      expect(replaced.body.latest_price_eur).toBe(240_000);
      expect((await key.api.get<Listing[]>('/auth/me/listings?limit=200')).status).toBe(200);
      expect((await key.api.delete(`/listings/${created.body.id}`)).status).toBe(204);
      expect((await testApp.api.get(`/listings/${created.body.id}`)).status).toBe(404);
    });

    it('acts as its owner only: another account\'s listing is a 403, as it would be for the owner\'s token', async () => {
      const theirs = await other.api.post<Listing>('/listings', aListing());
      const key = await createKey(owner, { scopes: ['listings:write'] });
      expect((await key.api.put(`/listings/${theirs.body.id}`, aListing())).status).toBe(403);
      expect((await key.api.delete(`/listings/${theirs.body.id}`)).status).toBe(403);
      expect((await testApp.api.get(`/listings/${theirs.body.id}`)).status).toBe(200);
    });

    it('webhooks:manage manages the owner\'s webhook subscriptions, reads included', async () => {
      const key = await createKey(owner, { scopes: ['webhooks:manage'] });
      const created = await key.api.post<{ id: number; owner_id: number }>('/webhooks', {
        url: 'https://hooks.example.com/listings',
        events: ['listing.deleted'],
        // A city no listing has: nothing is ever delivered to this address.
        filter: { city: `Nowhere ${process.pid} ${Date.now()}` },
      });
      expect(created.status).toBe(201);
      expect(created.body.owner_id).toBe(owner.id);
      const listed = await key.api.get<{ id: number }[]>('/webhooks?limit=200');
      expect(listed.status).toBe(200);
      expect(listed.body.map((w) => w.id)).toContain(created.body.id);
      expect((await key.api.delete(`/webhooks/${created.body.id}`)).status).toBe(204);
    });

    it('admin opens the admin routes to an admin\'s key', async () => {
      const key = await createKey(admin, { scopes: ['admin'] });
      const users = await key.api.get<{ id: number }[]>('/admin/users?limit=200');
      expect(users.status).toBe(200);
      const target = await signUp(testApp, 'keys-target');
      const deactivated = await key.api.patch<{ active: boolean }>(`/admin/users/${target.id}`, { active: false });
      expect(deactivated.status).toBe(200);
      expect(deactivated.body.active).toBe(false);
    });

    it('any key may read who it acts as (GET /auth/me)', async () => {
      const key = await createKey(owner, { scopes: ['webhooks:manage'] });
      const me = await key.api.get<{ id: number; email: string }>('/auth/me');
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({ id: owner.id, email: owner.email });
    });

    it('public reads stay public: a key there is not needed, not looked up, and changes nothing', async () => {
      const key = await createKey(owner, { scopes: ['webhooks:manage'] });
      expect((await key.api.get('/listings?limit=1')).status).toBe(200);
      expect((await owner.api.delete(`/auth/api-keys/${key.id}`)).status).toBe(204);
      expect((await key.api.get('/listings?limit=1')).status).toBe(200);
    });

    it('records last_used_date, at most once a minute', async () => {
      const key = await createKey(owner, { scopes: ['listings:write'] });
      expect(key.last_used_date).toBeNull();
      const before = Date.now();
      expect((await key.api.get('/auth/me')).status).toBe(200);
      // Written after the answer (fire and forget): wait for it, bounded.
      let used: string | null = null;
      for (let attempt = 0; attempt < 50 && used === null; attempt += 1) {
        used = (await keysOf(owner)).find((k) => k.id === key.id)!.last_used_date;
        if (used === null) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(used).not.toBeNull();
      expect(Date.parse(used!)).toBeGreaterThanOrEqual(before - 1000);
      for (let i = 0; i < 3; i += 1) expect((await key.api.get('/auth/me')).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await keysOf(owner)).find((k) => k.id === key.id)!.last_used_date).toBe(used);
    });
  });

  describe('refusing', () => {
    it('a route its scopes do not cover: 403 naming the missing scope, and nothing changes', async () => {
      const listingsKey = await createKey(owner, { scopes: ['listings:write'] });
      const webhooksKey = await createKey(owner, { scopes: ['webhooks:manage'] });
      expect(await listingsKey.api.get<ErrorBody>('/webhooks')).toMatchObject({ status: 403, body: { message: 'This API key lacks the scope webhooks:manage' } });
      const before = (await owner.api.get<Listing[]>('/auth/me/listings?limit=200')).body.length;
      expect(await webhooksKey.api.post<ErrorBody>('/listings', aListing())).toMatchObject({ status: 403, body: { message: 'This API key lacks the scope listings:write' } });
      expect((await owner.api.get<Listing[]>('/auth/me/listings?limit=200')).body).toHaveLength(before);
      expect(await listingsKey.api.get<ErrorBody>('/admin/users')).toMatchObject({ status: 403, body: { message: 'This API key lacks the scope admin' } });
      // An admin's key without the admin scope does not reach the admin routes either.
      const adminListingsKey = await createKey(admin, { scopes: ['listings:write'] });
      expect(await adminListingsKey.api.get<ErrorBody>('/admin/users')).toMatchObject({ status: 403, body: { message: 'This API key lacks the scope admin' } });
    });

    it('an admin key of an account demoted since does nothing on the admin routes (the role is read on every request)', async () => {
      const second = await signUpAdmin(testApp);
      const key = await createKey(second, { scopes: ['admin'] });
      expect((await key.api.get('/admin/users')).status).toBe(200);
      expect((await admin.api.patch(`/admin/users/${second.id}`, { role: 'USER' })).status).toBe(200);
      expect((await key.api.get('/admin/users')).status).toBe(403);
    });

    it('where a key may never act: the password, API keys, tokens and sign-ins, whatever its scopes', async () => {
      const account = await signUp(testApp, 'keys-never');
      const key = await createKey(account, { scopes: ['listings:write', 'webhooks:manage'] });
      const refused = async (response: Promise<ApiResponse<unknown>>) => {
        const answer = (await response) as ApiResponse<ErrorBody>;
        expect({ status: answer.status, message: answer.body.message }).toEqual({ status: 403, message: expect.stringMatching(/^API keys cannot manage the account/) });
      };
      await refused(key.api.post('/auth/me/password', { current_password: account.password, new_password: 'a brand new password' }));
      await refused(key.api.post('/auth/api-keys', { name: 'from a key', scopes: ['listings:write'] }));
      await refused(key.api.get('/auth/api-keys'));
      await refused(key.api.delete(`/auth/api-keys/${key.id}`));
      await refused(key.api.post('/auth/refresh', { refresh_token: account.refreshToken }));
      await refused(key.api.post('/auth/logout', { refresh_token: account.refreshToken }));
      await refused(key.api.post('/auth/logout-all'));
      // Nothing happened: the password, the key and the refresh token all still work.
      await signIn(testApp, account.email, account.password, account.id);
      expect((await key.api.get('/auth/me')).status).toBe(200);
      expect((await testApp.api.post('/auth/refresh', { refresh_token: account.refreshToken })).status).toBe(200);
      // Not even an admin's key with every scope manages keys.
      const adminKey = await createKey(admin, { scopes: ['admin', 'listings:write', 'webhooks:manage'] });
      await refused(adminKey.api.get(`/admin/users/${account.id}/api-keys`));
      await refused(adminKey.api.delete(`/admin/api-keys/${key.id}`));
      expect((await key.api.get('/auth/me')).status).toBe(200);
    });

    it('after revocation: 401 with the same body as a bad token, on the next request; no longer listed', async () => {
      const key = await createKey(owner, { scopes: ['listings:write'] });
      expect((await key.api.get('/auth/me')).status).toBe(200);
      expect((await owner.api.delete(`/auth/api-keys/${key.id}`)).status).toBe(204);
      const badToken = await testApp.api.get<ErrorBody>('/auth/me', { token: 'eyJhbGciOiJIUzI1NiJ9.e30.bad' });
      const revoked = await key.api.get<ErrorBody>('/auth/me');
      expect(revoked.status).toBe(401);
      expect(revoked.body).toEqual(badToken.body);
      expect(revoked.body).toEqual(INVALID);
      expect((await key.api.post('/listings', aListing())).status).toBe(401);
      expect((await keysOf(owner)).map((k) => k.id)).not.toContain(key.id);
      expect((await owner.api.delete(`/auth/api-keys/${key.id}`)).status).toBe(404);
    });

    it('another account cannot revoke a key (404, as if it did not exist), and the key keeps working', async () => {
      const key = await createKey(owner, { scopes: ['listings:write'] });
      expect((await other.api.delete(`/auth/api-keys/${key.id}`)).status).toBe(404);
      expect((await key.api.get('/auth/me')).status).toBe(200);
    });

    it('after its owner is deactivated: 401; reactivated, the key works again (revoke it to end it for good)', async () => {
      const account = await signUp(testApp, 'keys-deactivated');
      const key = await createKey(account, { scopes: ['listings:write'] });
      expect((await key.api.get('/auth/me')).status).toBe(200);
      expect((await admin.api.patch(`/admin/users/${account.id}`, { active: false })).status).toBe(200);
      expect(await key.api.get('/auth/me')).toMatchObject({ status: 401, body: INVALID });
      expect((await key.api.post('/listings', aListing())).status).toBe(401);
      expect((await admin.api.patch(`/admin/users/${account.id}`, { active: true })).status).toBe(200);
      expect((await key.api.get('/auth/me')).status).toBe(200);
    });

    it('once expired: 401', async () => {
      const key = await createKey(owner, { scopes: ['listings:write'], expires_in_days: 1 });
      expect((await key.api.get('/auth/me')).status).toBe(200);
      await testApp.prisma.apiKey.update({ where: { id: key.id }, data: { expiresDate: new Date(Date.now() - 1000) } });
      expect(await key.api.get('/auth/me')).toMatchObject({ status: 401, body: INVALID });
      // Still listed, with the date that explains the 401.
      const listed = (await keysOf(owner)).find((k) => k.id === key.id);
      expect(Date.parse(listed!.expires_date!)).toBeLessThan(Date.now());
    });

    it('a key the service never issued: 401, whether well-formed or not', async () => {
      for (const key of [`lak_${Buffer.alloc(32, 7).toString('base64url')}`, 'lak_short', 'lak_']) {
        expect(await testApp.api.get('/auth/me', { token: key })).toMatchObject({ status: 401, body: INVALID });
      }
    });
  });

  describe('admins', () => {
    it('see another account\'s keys (never the secrets) and revoke one, which then stops working', async () => {
      const account = await signUp(testApp, 'keys-admin-view');
      const key = await createKey(account, { name: 'their program', scopes: ['listings:write'] });
      const listed = await admin.api.get<ApiKey[]>(`/admin/users/${account.id}/api-keys`);
      expect(listed.status).toBe(200);
      expect(listed.text).not.toContain(key.key);
      expect(listed.body).toEqual([{ id: key.id, name: 'their program', scopes: ['listings:write'], prefix: key.prefix, created_date: key.created_date, expires_date: key.expires_date, last_used_date: null }]);
      expect((await admin.api.delete(`/admin/api-keys/${key.id}`)).status).toBe(204);
      expect((await key.api.get('/auth/me')).status).toBe(401);
      expect((await admin.api.get<ApiKey[]>(`/admin/users/${account.id}/api-keys`)).body).toEqual([]);
      expect((await admin.api.delete(`/admin/api-keys/${key.id}`)).status).toBe(404);
    });

    it('only admins: 403 for anyone else; 404 for an account that does not exist', async () => {
      const key = await createKey(owner, { scopes: ['listings:write'] });
      expect((await other.api.get(`/admin/users/${owner.id}/api-keys`)).status).toBe(403);
      expect((await other.api.delete(`/admin/api-keys/${key.id}`)).status).toBe(403);
      expect((await key.api.get('/auth/me')).status).toBe(200);
      expect((await admin.api.get('/admin/users/2147483647/api-keys')).status).toBe(404);
    });
  });
});

describe('API key rate limit', () => {
  const LIMIT = 3;
  let limited: TestApp;
  let owner: SignedIn;

  beforeAll(async () => {
    limited = await startTestApp({ API_KEY_RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    owner = await signUp(limited, 'keys-limited');
  });
  afterAll(() => limited.close());

  it('per key: over API_KEY_RATE_LIMIT_PER_MINUTE a minute, 429 with Retry-After; other keys and tokens are not affected', async () => {
    const make = async () => {
      const response = await owner.api.post<{ key: string }>('/auth/api-keys', { name: 'limited', scopes: ['listings:write'] });
      expect(response.status).toBe(201);
      return limited.api.as(response.body.key);
    };
    const [first, second] = [await make(), await make()];
    for (let i = 0; i < LIMIT; i += 1) expect((await first.get('/auth/me')).status).toBe(200);
    const refused = await first.get<ErrorBody>('/auth/me');
    expect(refused.status).toBe(429);
    expect(refused.body.message).toMatch(/Too many requests with this API key/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
    // Every route that takes keys counts against the same budget.
    expect((await first.post('/listings', aListing())).status).toBe(429);
    expect((await second.get('/auth/me')).status).toBe(200);
    expect((await owner.api.get('/auth/me')).status).toBe(200);
  });
});

describeWithRedis('API key rate limit across instances sharing Redis (REDIS_URL)', () => {
  const LIMIT = 4;
  const prefix = uniqueRedisPrefix('api-keys');
  let first: TestApp;
  let second: TestApp;
  let redis: Redis;

  beforeAll(async () => {
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix, API_KEY_RATE_LIMIT_PER_MINUTE: String(LIMIT) };
    [first, second] = await Promise.all([startTestApp(env), startTestApp(env)]);
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all([first?.close(), second?.close()]);
    await redis?.quit();
  });

  it('one budget per key, whichever instance answers', async () => {
    const owner = await signUp(first, 'keys-shared');
    const created = await owner.api.post<{ id: number; key: string }>('/auth/api-keys', { name: 'shared', scopes: ['listings:write'] });
    expect(created.status).toBe(201);
    const statuses: number[] = [];
    for (let i = 0; i <= LIMIT; i += 1) statuses.push((await (i % 2 === 0 ? first : second).api.get('/auth/me', { token: created.body.key })).status);
    expect(statuses).toEqual([...Array<number>(LIMIT).fill(200), 429]);
    expect((await second.api.get('/auth/me', { token: created.body.key })).status).toBe(429);
    expect(await redis.zcard(`${prefix}throttler:{api-key:api-key:${created.body.id}}:hits`)).toBe(LIMIT);
  });
});
