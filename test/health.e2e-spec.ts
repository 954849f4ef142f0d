import { freePort } from '@app/dev-database';
import { TEST_REDIS_URL, describeWithRedis } from './support/redis';
import { TestApp, startTestApp } from './support/test-app';

interface Health {
  status: string;
  message?: string;
  info: Record<string, { status: string; message?: string }>;
  error: Record<string, { status: string; message?: string }>;
  details: Record<string, { status: string; message?: string }>;
}

describe('health checks', () => {
  describe('with the database up', () => {
    let testApp: TestApp;

    // A per-IP limit of 1: a probe that went through a rate limiter would be refused from the second on.
    beforeAll(async () => {
      testApp = await startTestApp({ AUTH_RATE_LIMIT_PER_IP: '1', AUTH_RATE_LIMIT_PER_ACCOUNT: '1' });
    });
    afterAll(() => testApp.close());

    it('liveness is 200, uncached', async () => {
      const response = await testApp.api.get<Health>('/health/live');
      expect(response.status).toBe(200);
      expect(response.body.status).toBe('ok');
      expect(response.headers.get('cache-control')).toContain('no-store');
    });

    it('readiness is 200 with the database up', async () => {
      const response = await testApp.api.get<Health>('/health/ready');
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ status: 'ok', info: { database: { status: 'up' } }, error: {}, details: { database: { status: 'up' } } });
    });

    it('probes need no token and are not rate-limited: 20 in a row, all answered', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 10; i += 1) {
        statuses.push((await testApp.api.get('/health/live')).status, (await testApp.api.get('/health/ready')).status);
      }
      expect(statuses).toEqual(Array(20).fill(200));
    });
  });

  describe('with the database unreachable (DATABASE_URL on a closed port)', () => {
    let testApp: TestApp;

    beforeAll(async () => {
      const closedPort = await freePort();
      testApp = await startTestApp({ DATABASE_CONNECT_TIMEOUT_MS: '1000', DATABASE_ACQUIRE_TIMEOUT_MS: '1000' }, `postgresql://postgres@127.0.0.1:${closedPort}/listings`);
    });
    afterAll(() => testApp.close());

    it('the service starts anyway; readiness is 503 naming the database, liveness stays 200', async () => {
      const ready = await testApp.api.get<Health>('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: 'error', message: 'Not ready: database', info: {}, error: { database: { status: 'down' } } });
      expect(ready.body.error.database.message).toMatch(/^unavailable: .*ECONNREFUSED/);
      expect((await testApp.api.get('/health/live')).status).toBe(200);
    });

    it('a request that needs the database is a 503 with Retry-After, not a 500', async () => {
      const started = Date.now();
      const response = await testApp.api.get<{ message: string }>('/listings?limit=1');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(response.body).toEqual({ message: 'The database is unavailable: retry shortly' });
      expect(Date.now() - started).toBeLessThan(2_000);
    });
  });

  describe('Redis (REDIS_URL)', () => {
    it('configured but unreachable: readiness is 503 naming redis, while the database is up', async () => {
      const testApp = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
      try {
        const response = await testApp.api.get<Health>('/health/ready');
        expect(response.status).toBe(503);
        expect(response.body).toMatchObject({ status: 'error', info: { database: { status: 'up' } }, error: { redis: { status: 'down' } } });
      } finally {
        await testApp.close();
      }
    });

    describeWithRedis('reachable', () => {
      it('readiness checks it with a PING: up', async () => {
        const testApp = await startTestApp({ REDIS_URL: TEST_REDIS_URL });
        try {
          // The health connection is opened at startup, in the background.
          let response = await testApp.api.get<Health>('/health/ready');
          for (let tries = 0; response.body.status !== 'ok' && tries < 20; tries += 1) {
            await new Promise((resolve) => setTimeout(resolve, 100));
            response = await testApp.api.get<Health>('/health/ready');
          }
          expect(response.status).toBe(200);
          expect(response.body).toEqual({ status: 'ok', info: { database: { status: 'up' }, redis: { status: 'up' } }, error: {}, details: { database: { status: 'up' }, redis: { status: 'up' } } });
        } finally {
          await testApp.close();
        }
      });
    });
  });
});
