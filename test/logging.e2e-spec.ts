import { Logger } from '@nestjs/common';
import pg from 'pg';
import { quoteIdent, withDatabase } from '@app/dev-database';
import { LogCapture, type LogLine } from './support/log-capture';
import { type TestApp, signUp, startTestApp, uniqueEmail } from './support/test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function onDatabase(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * The application's log output, as an operator reads it: the bytes it writes to stdout (when stdout is
 * not a terminal), captured in memory. LOG_LEVEL=log, so request lines and Nest's own lines are there.
 */
describe('logs', () => {
  const logs = new LogCapture();
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({ LOG_LEVEL: 'log' }, undefined, logs);
  });
  afterAll(async () => {
    await testApp.close();
  });

  describe('X-Request-Id', () => {
    it('is on every response: success, 404, validation 422, malformed JSON 400, 415, 401 from the guard', async () => {
      const { api } = testApp;
      const responses = await Promise.all([
        api.get('/listings?limit=1'),
        api.get('/no-such-route'),
        api.get('/listings/999999999'),
        api.post('/auth/register', { email: 'not an email', password: 'x' }),
        api.request('POST', '/auth/login', { raw: '{"email":', headers: { 'content-type': 'application/json' } }),
        api.request('POST', '/auth/login', { raw: 'email=a', headers: { 'content-type': 'text/plain' } }),
        api.get('/auth/me'),
      ]);
      expect(responses.map((response) => response.status)).toEqual([200, 404, 404, 422, 400, 415, 401]);
      for (const response of responses) expect(response.headers.get('x-request-id')).toMatch(UUID);
      // Each response its own id.
      expect(new Set(responses.map((response) => response.headers.get('x-request-id'))).size).toBe(responses.length);
    });

    it("keeps the caller's id when it is well-formed, replaces it otherwise", async () => {
      const sent = async (id: string) => (await testApp.api.get('/listings?limit=1', { headers: { 'x-request-id': id } })).headers.get('x-request-id');
      expect(await sent('nginx-0af3c2e4b5d6e7f8')).toBe('nginx-0af3c2e4b5d6e7f8');
      expect(await sent('3f2c1a9e-5b7d-4c8e-9f01-23456789abcd')).toBe('3f2c1a9e-5b7d-4c8e-9f01-23456789abcd');
      expect(await sent('two words')).toMatch(UUID);
      expect(await sent('{"level":"fatal"}')).toMatch(UUID);
      expect(await sent('x'.repeat(129))).toMatch(UUID);
    });
  });

  describe('request lines', () => {
    it('one JSON line per request: method, route pattern, path without the query, status, duration, client IP, request id, user id', async () => {
      const user = await signUp(testApp, 'logged');
      const me = await user.api.get<{ id: number }>('/auth/me');
      expect(me.status).toBe(200);
      expect(await logs.requestLine(me.headers.get('x-request-id'))).toEqual({
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) as unknown,
        pid: process.pid,
        hostname: expect.any(String) as unknown,
        requestId: me.headers.get('x-request-id'),
        method: 'GET',
        route: '/auth/me',
        path: '/auth/me',
        status: 200,
        durationMs: expect.any(Number) as unknown,
        ip: '127.0.0.1',
        userId: user.id,
        msg: 'request completed',
      });

      const search = await testApp.api.get('/listings/1/prices?limit=2', { headers: { 'x-request-id': 'search-1' } });
      const line = await logs.requestLine('search-1');
      expect(line).toMatchObject({ method: 'GET', route: '/listings/:id/prices', path: '/listings/1/prices', status: search.status });
      expect(line).not.toHaveProperty('userId');
      expect(JSON.stringify(line)).not.toContain('limit=');

      const missing = await testApp.api.get('/no-such-route?token=abc');
      expect(await logs.requestLine(missing.headers.get('x-request-id'))).toMatchObject({ route: null, path: '/no-such-route', status: 404 });
    });

    it('a request made with an API key names the key by its id (the key itself appears nowhere), refused ones too', async () => {
      const user = await signUp(testApp, 'logged-key');
      const created = await user.api.post<{ id: number; key: string }>('/auth/api-keys', { name: 'logged', scopes: ['listings:write'] });
      expect(created.status).toBe(201);
      const withKey = testApp.api.as(created.body.key);
      const me = await withKey.get('/auth/me');
      expect(await logs.requestLine(me.headers.get('x-request-id'))).toMatchObject({ route: '/auth/me', status: 200, userId: user.id, apiKeyId: created.body.id });
      const refused = await withKey.get('/webhooks');
      expect(refused.status).toBe(403);
      expect(await logs.requestLine(refused.headers.get('x-request-id'))).toMatchObject({ route: '/webhooks', status: 403, userId: user.id, apiKeyId: created.body.id });
      expect(logs.text).not.toContain(created.body.key);
      expect(logs.text).not.toContain(created.body.key.slice(4));
    });

    it('a rejected request has its line too, with the status it got', async () => {
      const rejected = await testApp.api.post('/auth/login', { email: 'not an email', password: 'whatever-it-is' });
      expect(rejected.status).toBe(422);
      expect(await logs.requestLine(rejected.headers.get('x-request-id'))).toMatchObject({ method: 'POST', route: '/auth/login', status: 422 });
    });
  });

  it('passwords, tokens and Authorization headers appear nowhere in the log', async () => {
    const { api } = testApp;
    const email = uniqueEmail('secret-keeper');
    const password = 'first-Secret-passphrase-4711';
    const newPassword = 'second-Secret-passphrase-0815';
    const registered = await api.post<{ id: number }>('/auth/register', { email, password });
    expect(registered.status).toBe(201);
    const wrong = await api.post('/auth/login', { email, password: 'wrong-Secret-passphrase-9999' });
    expect(wrong.status).toBe(401);
    const login = await api.post<{ access_token: string; refresh_token: string }>('/auth/login', { email, password });
    expect(login.status).toBe(200);
    const refreshed = await api.post<{ access_token: string; refresh_token: string }>('/auth/refresh', { refresh_token: login.body.refresh_token });
    expect(refreshed.status).toBe(200);
    const bearer = api.as(refreshed.body.access_token);
    expect((await bearer.get('/auth/me')).status).toBe(200);
    expect((await api.get('/auth/me', { headers: { authorization: 'Bearer not-a-real-token-but-secret-anyway' } })).status).toBe(401);
    expect((await bearer.post('/auth/me/password', { current_password: password, new_password: newPassword })).status).toBe(204);
    // Refused bodies, too: a spent refresh token, a too-long password.
    expect((await api.post('/auth/refresh', { refresh_token: refreshed.body.refresh_token })).status).toBe(401);
    expect((await api.post('/auth/register', { email: uniqueEmail('long'), password: `${newPassword}${'z'.repeat(300)}` })).status).toBe(422);
    const lastRequest = await api.post('/auth/logout', { refresh_token: login.body.refresh_token });
    await logs.requestLine(lastRequest.headers.get('x-request-id'));

    const secrets = [password, newPassword, 'wrong-Secret-passphrase-9999', login.body.access_token, login.body.refresh_token, refreshed.body.access_token, refreshed.body.refresh_token, 'not-a-real-token-but-secret-anyway'];
    const text = logs.text;
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/bearer|authorization/i);
    // The lines of those requests are there (the log was not simply empty).
    expect(logs.lines.filter((line) => line.route === '/auth/login' && line.msg === 'request completed').length).toBeGreaterThanOrEqual(2);
  });

  it("Nest's own lines are JSON through the same logger, at LOG_LEVEL, with no colour codes", async () => {
    expect(logs.lines.some((line) => line.context === 'NestApplication' && line.msg === 'Nest application successfully started')).toBe(true);
    new Logger('LoggingTest').warn('disk almost full');
    new Logger('LoggingTest').debug('below LOG_LEVEL=log');
    const warning = await logs.waitFor((line) => line.context === 'LoggingTest');
    expect(warning).toMatchObject({ level: 'warn', msg: 'disk almost full' });
    expect(logs.text).not.toContain('below LOG_LEVEL=log');
    // Every line parses as JSON (`lines` throws otherwise) and nothing is coloured.
    expect(logs.lines.length).toBeGreaterThan(10);
    expect(logs.text).not.toContain('\u001b[');
  });

  describe('an unexpected error', () => {
    // A database without the schema (a deployment that skipped `npm run db:migrate`): every query fails
    // in a way the exception filter does not know, so the client gets a 500 and the log the error.
    const primaryUrl = process.env.TEST_DATABASE_URL ?? '';
    const emptyName = `listing_test_nolog_${Date.now().toString(36)}_${process.pid}`;
    const adminUrl = withDatabase(primaryUrl, 'postgres');
    let unmigrated: TestApp;

    beforeAll(async () => {
      await onDatabase(adminUrl, `CREATE DATABASE ${quoteIdent(emptyName)}`);
      unmigrated = await startTestApp({ LOG_LEVEL: 'log' }, withDatabase(primaryUrl, emptyName), logs);
    });
    afterAll(async () => {
      await unmigrated.close();
      await onDatabase(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdent(emptyName)} WITH (FORCE)`);
    });

    it.each([
      ['GET', '/listings/1/prices', undefined, '/listings/:id/prices'],
      // With a body, which Fastify reads after the request began (the request context must survive it).
      ['POST', '/auth/login', JSON.stringify({ email: 'someone@example.test', password: 'not-logged-4242' }), '/auth/login'],
    ])('is logged at error level with the request id the client got back (%s %s)', async (method, path, body, route) => {
      const requestId = `broken-${method.toLowerCase()}`;
      // Plain fetch: a 500 is in no document, so the suite's contract-checking client would refuse it.
      const response = await fetch(`${unmigrated.baseUrl}${path}`, { method, body, headers: { 'x-request-id': requestId, 'content-type': 'application/json' } });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ message: 'Internal server error' });
      expect(response.headers.get('x-request-id')).toBe(requestId);
      const error: LogLine = await logs.waitFor((line) => line.level === 'error' && line.requestId === requestId);
      expect(error).toMatchObject({ context: 'ApiExceptionFilter' });
      expect(String(error.msg)).toMatch(/does not exist/);
      expect(await logs.requestLine(requestId)).toMatchObject({ status: 500, route });
      expect(logs.text).not.toContain('not-logged-4242');
    });
  });
});
