import { LogCapture } from './support/log-capture';
import { type TestApp, startTestApp, uniqueEmail } from './support/test-app';

/**
 * The client address behind a reverse proxy (TRUST_PROXY): what the per-IP login limit counts and what
 * the request lines show. Every request here really comes from 127.0.0.1; the proxy is played by the
 * test, which sets X-Forwarded-For as nginx would ($proxy_add_x_forwarded_for).
 */
describe('client address behind a proxy (TRUST_PROXY)', () => {
  const logs = new LogCapture();
  const apps: TestApp[] = [];
  /** Three login attempts per minute and client address; the per-account limit stays out of the way. */
  const start = async (env: Record<string, string>) => {
    const started = await startTestApp({ LOG_LEVEL: 'log', AUTH_RATE_LIMIT_PER_IP: '3', ...env }, undefined, logs);
    apps.push(started);
    return started;
  };
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  /** A failed login (unknown account, so every attempt is a new account key) from `forwardedFor`. */
  const attempt = async (testApp: TestApp, forwardedFor: string) => {
    const response = await testApp.api.post('/auth/login', { email: uniqueEmail('nobody'), password: 'not the password' }, { headers: { 'x-forwarded-for': forwardedFor } });
    return response;
  };
  const statuses = async (testApp: TestApp, forwardedFor: string[]) => {
    const result: number[] = [];
    for (const address of forwardedFor) result.push((await attempt(testApp, address)).status);
    return result;
  };

  describe('TRUST_PROXY=127.0.0.1 (the proxy by its address)', () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await start({ TRUST_PROXY: '127.0.0.1' });
    });

    it('each forwarded client address has its own login limit', async () => {
      expect(await statuses(testApp, ['203.0.113.1', '203.0.113.1', '203.0.113.1', '203.0.113.1'])).toEqual([401, 401, 401, 429]);
      // Another client behind the same proxy is not blocked by the first one.
      expect(await statuses(testApp, ['203.0.113.2', '203.0.113.2'])).toEqual([401, 401]);
    });

    it('the request line shows the forwarded address; of a chain, the nearest address that is not a trusted proxy', async () => {
      const direct = await attempt(testApp, '198.51.100.20');
      expect(await logs.requestLine(direct.headers.get('x-request-id'))).toMatchObject({ ip: '198.51.100.20', route: '/auth/login', status: 401 });
      // What the client claimed (192.0.2.66) comes before what the proxy saw (198.51.100.21).
      const chained = await attempt(testApp, '192.0.2.66, 198.51.100.21');
      expect(await logs.requestLine(chained.headers.get('x-request-id'))).toMatchObject({ ip: '198.51.100.21' });
    });
  });

  describe('TRUST_PROXY=1 (one proxy hop)', () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await start({ TRUST_PROXY: '1' });
    });

    it('the client is the address the one proxy appended; each has its own limit', async () => {
      expect(await statuses(testApp, ['192.0.2.1, 203.0.113.7', '192.0.2.2, 203.0.113.7', '192.0.2.3, 203.0.113.7', '192.0.2.4, 203.0.113.7'])).toEqual([401, 401, 401, 429]);
      const other = await attempt(testApp, '192.0.2.1, 203.0.113.8');
      expect(other.status).toBe(401);
      expect(await logs.requestLine(other.headers.get('x-request-id'))).toMatchObject({ ip: '203.0.113.8' });
    });
  });

  describe('TRUST_PROXY unset (the default)', () => {
    let testApp: TestApp;
    beforeAll(async () => {
      testApp = await start({});
    });

    it('X-Forwarded-For is ignored: a client that changes it on every attempt still meets its limit', async () => {
      expect(await statuses(testApp, ['203.0.113.11', '203.0.113.12', '203.0.113.13', '203.0.113.14', '203.0.113.15'])).toEqual([401, 401, 401, 429, 429]);
    });

    it('the request line shows the address of the peer', async () => {
      const spoofed = await attempt(testApp, '203.0.113.99');
      expect(await logs.requestLine(spoofed.headers.get('x-request-id'))).toMatchObject({ ip: '127.0.0.1', status: 429 });
      expect(logs.lines.some((line) => line.requestId === spoofed.headers.get('x-request-id') && JSON.stringify(line).includes('203.0.113.99'))).toBe(false);
    });
  });
});
