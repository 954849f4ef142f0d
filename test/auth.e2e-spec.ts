import { createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { TestApp, TEST_JWT_SECRET, signUp, startTestApp, uniqueEmail } from './support/test-app';

interface TokenPair {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
}

const key = createSecretKey(Buffer.from(TEST_JWT_SECRET));
const sign = (payload: object, options: jwt.SignOptions = {}) =>
  jwt.sign(payload, key, { algorithm: 'HS256', issuer: 'listing-api', audience: 'listing-api', expiresIn: 60, ...options });

describe('accounts and tokens', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp();
  });
  afterAll(() => testApp.close());

  it('register → login → me: the account as the API shows it, never its hash', async () => {
    const email = uniqueEmail();
    const registered = await testApp.api.post('/auth/register', { email: `  ${email.toUpperCase()} `, password: 'a long enough password' });
    expect(registered.status).toBe(201);
    expect(registered.body).toEqual({ id: expect.any(Number), email, role: 'USER', created_date: expect.stringMatching(/Z$/) });

    const login = await testApp.api.post<TokenPair>('/auth/login', { email, password: 'a long enough password' });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, refresh_token: expect.any(String) });

    const me = await testApp.api.as(login.body.access_token).get('/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual(registered.body);
  });

  it('a second account with the same email (in any case) is a 409', async () => {
    const { email } = await signUp(testApp);
    const again = await testApp.api.post('/auth/register', { email: email.toUpperCase(), password: 'another password' });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ message: 'An account with this email already exists' });
  });

  it.each([
    ['a password of 7 characters', { password: '1234567' }, 'password'],
    ['a password of 257 characters (never truncated)', { password: 'x'.repeat(257) }, 'password'],
    ['an invalid email', { email: 'not-an-email' }, 'email'],
    ['a role', { role: 'ADMIN' }, 'role'],
    ['an id', { id: 1 }, 'id'],
  ])('registering with %s is a 422 naming the field', async (_case, change, field) => {
    const response = await testApp.api.post<{ errors: { field: string }[] }>('/auth/register', { email: uniqueEmail(), password: 'good password', ...change });
    expect(response.status).toBe(422);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field }));
  });

  it('accepts a password of exactly 256 characters and checks all of them', async () => {
    const email = uniqueEmail();
    const password = 'p'.repeat(256);
    expect((await testApp.api.post('/auth/register', { email, password })).status).toBe(201);
    expect((await testApp.api.post('/auth/login', { email, password })).status).toBe(200);
    expect((await testApp.api.post('/auth/login', { email, password: `${'p'.repeat(255)}q` })).status).toBe(401);
  });

  it('unknown email, wrong password and deactivated account get the same 401 body', async () => {
    const user = await signUp(testApp);
    const deactivated = await signUp(testApp);
    await testApp.prisma.user.update({ where: { id: deactivated.id }, data: { active: false } });

    const responses = await Promise.all([
      testApp.api.post('/auth/login', { email: uniqueEmail('nobody'), password: 'whatever password' }),
      testApp.api.post('/auth/login', { email: user.email, password: 'wrong password' }),
      testApp.api.post('/auth/login', { email: deactivated.email, password: deactivated.password }),
    ]);
    for (const response of responses) {
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ message: 'Invalid email or password' });
    }
  });

  it('refresh rotates the pair; the old refresh token is then single-use spent', async () => {
    const user = await signUp(testApp);
    const refreshed = await testApp.api.post<TokenPair>('/auth/refresh', { refresh_token: user.refreshToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(user.refreshToken);
    expect((await testApp.api.as(refreshed.body.access_token).get('/auth/me')).status).toBe(200);
  });

  it('presenting an already-used refresh token is a 401 and revokes its whole family', async () => {
    const user = await signUp(testApp);
    const first = await testApp.api.post<TokenPair>('/auth/refresh', { refresh_token: user.refreshToken });
    expect(first.status).toBe(200);

    const replay = await testApp.api.post('/auth/refresh', { refresh_token: user.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ message: 'Invalid or expired refresh token' });
    // The legitimate newest token of the family is dead too.
    expect((await testApp.api.post('/auth/refresh', { refresh_token: first.body.refresh_token })).status).toBe(401);
  });

  it('logout revokes the family: its refresh token no longer works (204)', async () => {
    const user = await signUp(testApp);
    const logout = await testApp.api.post('/auth/logout', { refresh_token: user.refreshToken });
    expect(logout.status).toBe(204);
    expect(logout.text).toBe('');
    expect((await testApp.api.post('/auth/refresh', { refresh_token: user.refreshToken })).status).toBe(401);
  });

  it('an unknown refresh token is a 401', async () => {
    expect((await testApp.api.post('/auth/refresh', { refresh_token: 'made-up' })).status).toBe(401);
  });

  it('changing the password invalidates earlier access and refresh tokens', async () => {
    const user = await signUp(testApp);
    const change = await user.api.post('/auth/me/password', { current_password: user.password, new_password: 'a brand new password' });
    expect(change.status).toBe(204);

    expect((await user.api.get('/auth/me')).status).toBe(401);
    expect((await testApp.api.post('/auth/refresh', { refresh_token: user.refreshToken })).status).toBe(401);
    expect((await testApp.api.post('/auth/login', { email: user.email, password: user.password })).status).toBe(401);
    expect((await testApp.api.post('/auth/login', { email: user.email, password: 'a brand new password' })).status).toBe(200);
  });

  it('a wrong current password does not change it', async () => {
    const user = await signUp(testApp);
    const change = await user.api.post('/auth/me/password', { current_password: 'not it at all', new_password: 'a brand new password' });
    expect(change.status).toBe(401);
    expect((await user.api.get('/auth/me')).status).toBe(200);
  });

  describe('every bad credential is a 401 with a message', () => {
    let user: Awaited<ReturnType<typeof signUp>>;
    beforeAll(async () => {
      user = await signUp(testApp);
    });

    const cases: [string, () => Record<string, string>][] = [
      ['no token', () => ({})],
      ['a garbage token', () => ({ authorization: 'Bearer garbage' })],
      ['a non-bearer scheme', () => ({ authorization: `Basic ${user.accessToken}` })],
      ['an expired token', () => ({ authorization: `Bearer ${sign({ ver: 0 }, { subject: String(user.id), expiresIn: -10 })}` })],
      ['a token without exp', () => ({ authorization: `Bearer ${jwt.sign({ ver: 0, sub: String(user.id), iss: 'listing-api', aud: 'listing-api' }, key, { algorithm: 'HS256' })}` })],
      ['alg: none', () => ({ authorization: `Bearer ${jwt.sign({ ver: 0, sub: String(user.id), iss: 'listing-api', aud: 'listing-api', exp: Math.floor(Date.now() / 1000) + 60 }, '', { algorithm: 'none' })}` })],
      ['another algorithm (HS512)', () => ({ authorization: `Bearer ${sign({ ver: 0 }, { subject: String(user.id), algorithm: 'HS512' })}` })],
      ['the wrong issuer', () => ({ authorization: `Bearer ${sign({ ver: 0 }, { subject: String(user.id), issuer: 'someone-else' })}` })],
      ['the wrong audience', () => ({ authorization: `Bearer ${sign({ ver: 0 }, { subject: String(user.id), audience: 'another-api' })}` })],
      ['another secret', () => ({ authorization: `Bearer ${jwt.sign({ ver: 0 }, 'x'.repeat(40), { algorithm: 'HS256', subject: String(user.id), issuer: 'listing-api', audience: 'listing-api', expiresIn: 60 })}` })],
      ['a refresh token used as an access token', () => ({ authorization: `Bearer ${user.refreshToken}` })],
      // Found by the fuzzer: a subject beyond int4 failed the account lookup with a 500.
      ['a subject that cannot be an account id', () => ({ authorization: `Bearer ${sign({ ver: 0 }, { subject: '9999999999' })}` })],
    ];

    it.each(cases)('%s', async (name, headers) => {
      const response = await testApp.api.get('/auth/me', { headers: headers() });
      expect(response.status).toBe(401);
      // Without a bearer token the message says how to send one; any token that fails says only that.
      const noBearer = name === 'no token' || name === 'a non-bearer scheme';
      expect(response.body).toEqual({
        message: noBearer ? 'Missing bearer token: send Authorization: Bearer <access_token>' : 'Invalid or expired access token',
      });
    });

    it('while the same user with a proper token gets through', async () => {
      expect((await testApp.api.get('/auth/me', { headers: { authorization: `Bearer ${sign({ ver: 0 }, { subject: String(user.id) })}` } })).status).toBe(200);
    });
  });
});

describe('brute-force protection', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ AUTH_RATE_LIMIT_PER_IP: '1000', AUTH_RATE_LIMIT_PER_ACCOUNT: '4' });
  });
  afterAll(() => testApp.close());

  it('too many login attempts on one account are a 429 with Retry-After, even with the right password', async () => {
    // Buckets are per route: signUp's login is the first of this account's four logins this minute.
    const user = await signUp(testApp);
    const statuses: number[] = [];
    let last;
    for (let attempt = 0; attempt < 4; attempt += 1) {
      last = await testApp.api.post('/auth/login', { email: user.email, password: attempt < 3 ? 'wrong password' : user.password });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last?.body).toEqual({ message: expect.stringContaining('Too many') });
    // Another account from the same IP is not blocked by it.
    const other = await signUp(testApp);
    expect(other.accessToken).toEqual(expect.any(String));
  });
});

/**
 * The per-account limit counts per account *and* client address, under a higher ceiling per account
 * from all addresses together. Client addresses are played through X-Forwarded-For with the test as
 * the trusted proxy (TRUST_PROXY=127.0.0.1), all of them loopback ones.
 */
describe('login limits: a stranger cannot lock the owner out', () => {
  let testApp: TestApp;
  const PER_IP = 6;
  const PER_ACCOUNT = 3;
  const CEILING = 8;

  beforeAll(async () => {
    testApp = await startTestApp({
      TRUST_PROXY: '127.0.0.1',
      AUTH_RATE_LIMIT_PER_IP: String(PER_IP),
      AUTH_RATE_LIMIT_PER_ACCOUNT: String(PER_ACCOUNT),
      AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: String(CEILING),
    });
  });
  afterAll(() => testApp.close());

  const loginFrom = (address: string, email: string, password: string) => testApp.api.post('/auth/login', { email, password }, { headers: { 'x-forwarded-for': address } });
  /** An account that has not signed in yet (registering counts on the register route's own buckets). */
  const register = async () => {
    const email = uniqueEmail('lockout');
    const password = 'correct horse battery staple';
    expect((await testApp.api.post('/auth/register', { email, password }, { headers: { 'x-forwarded-for': '127.0.0.40' } })).status).toBe(201);
    return { email, password };
  };

  it('a stranger sending wrong passwords from one address is stopped; the owner, from their own address, still signs in', async () => {
    const alice = await register();
    const stranger: number[] = [];
    let refused;
    for (let attempt = 0; attempt <= PER_ACCOUNT; attempt += 1) {
      refused = await loginFrom('127.0.0.2', alice.email, 'not her password');
      stranger.push(refused.status);
    }
    expect(stranger).toEqual([...Array<number>(PER_ACCOUNT).fill(401), 429]);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused?.body).toEqual({ message: expect.stringContaining('Too many') });
    // Even the right password from the stranger's address waits: that pair is blocked for a minute.
    expect((await loginFrom('127.0.0.2', alice.email, alice.password)).status).toBe(429);

    expect((await loginFrom('127.0.0.3', alice.email, alice.password)).status).toBe(200);
  });

  it('attempts on one account from many addresses stop at the ceiling', async () => {
    const bob = await register();
    const statuses: number[] = [];
    let refused;
    // One wrong password from each of CEILING + 1 addresses: every address is well within its own limits.
    for (let n = 0; n <= CEILING; n += 1) {
      refused = await loginFrom(`127.0.0.${10 + n}`, bob.email, 'a wrong guess');
      statuses.push(refused.status);
    }
    expect(statuses).toEqual([...Array<number>(CEILING).fill(401), 429]);
    expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
    // The ceiling is per account: another account from those addresses is not affected.
    const carol = await register();
    expect((await loginFrom('127.0.0.10', carol.email, carol.password)).status).toBe(200);
  });

  it('attempts from a few addresses, each stopped by its own limit, never reach the ceiling', async () => {
    const dave = await register();
    // Two addresses reach their limit for dave (2 x PER_ACCOUNT < CEILING): neither exhausts the ceiling.
    for (const address of ['127.0.0.30', '127.0.0.31']) {
      const statuses: number[] = [];
      for (let attempt = 0; attempt < PER_ACCOUNT + 2; attempt += 1) statuses.push((await loginFrom(address, dave.email, 'a wrong guess')).status);
      expect(statuses).toEqual([...Array<number>(PER_ACCOUNT).fill(401), 429, 429]);
    }
    expect((await loginFrom('127.0.0.32', dave.email, dave.password)).status).toBe(200);
  });

  it('the per-IP limit still applies, across accounts', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt <= PER_IP; attempt += 1) statuses.push((await loginFrom('127.0.0.4', uniqueEmail('nobody'), 'a wrong guess')).status);
    expect(statuses).toEqual([...Array<number>(PER_IP).fill(401), 429]);
  });
});
