import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { Logger } from '@nestjs/common';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { RedisThrottlerStorage, type ThrottlerStorageRecord } from '../libs/auth/src/rate-limits/redis-throttler-storage';
import { TEST_REDIS_URL, describeWithRedis, uniqueRedisPrefix } from './support/redis';
import { type TestApp, startTestApp, uniqueEmail } from './support/test-app';

const PASSWORD = 'correct horse battery staple';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/**
 * A record as the guard reads it. Math.ceil(-0.2) is -0 in JavaScript and 0 from Redis: the same number
 * to the guard. It reads timeToBlockExpire only when the hit is blocked; otherwise the in-memory storage
 * returns a leftover (about -now in seconds before any block, or what is left of an old block) that
 * depends on whether its sweep (once a minute) has dropped the record yet, where Redis has expired it.
 */
const plain = (record: ThrottlerStorageRecord) => ({
  ...record,
  timeToExpire: record.timeToExpire + 0,
  timeToBlockExpire: record.isBlocked ? record.timeToBlockExpire + 0 : 'not read',
});

/** A private redis-server (Debian's redis-server package) that a test may stop and start again. */
const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
const itWithRedisServer = hasRedisServer ? it : it.skip;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startRedisServer(port: number): Promise<{ stop(): Promise<void> }> {
  const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const probe = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  for (let waited = 0; ; waited += 50) {
    if (await probe.connect().then(() => true, () => false)) break;
    if (waited > 5_000) throw new Error(`redis-server did not start on port ${port}`);
    await sleep(50);
  }
  await probe.quit();
  return {
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

describeWithRedis('rate-limit counters in Redis (RedisThrottlerStorage)', () => {
  let redis: Redis;
  const storages: RedisThrottlerStorage[] = [];
  const storage = async (prefix: string) => {
    const created = await RedisThrottlerStorage.connect(TEST_REDIS_URL, prefix);
    storages.push(created);
    return created;
  };

  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await Promise.all(storages.map((s) => s.onApplicationShutdown()));
    await redis.quit();
  });

  /** Runs the same hits against the in-memory storage of @nestjs/throttler and against Redis, side by side. */
  async function sideBySide(hits: { ttl: number; limit: number; block: number; waitBefore?: number }[]) {
    const shared = await storage(uniqueRedisPrefix('storage'));
    const memory = new ThrottlerStorageService();
    const results: { memory: ReturnType<typeof plain>; redis: ReturnType<typeof plain> }[] = [];
    try {
      for (const hit of hits) {
        if (hit.waitBefore) await sleep(hit.waitBefore);
        const [fromMemory, fromRedis] = await Promise.all([
          memory.increment('k', hit.ttl, hit.limit, hit.block, 'default'),
          shared.increment('k', hit.ttl, hit.limit, hit.block, 'default'),
        ]);
        results.push({ memory: plain(fromMemory), redis: plain(fromRedis) });
      }
    } finally {
      memory.onApplicationShutdown();
    }
    return results;
  }

  it('counts and blocks exactly like the in-memory storage (block of its own length, as the app configures)', async () => {
    const results = await sideBySide(Array.from({ length: 6 }, () => ({ ttl: 10_000, limit: 3, block: 20_000 })));
    for (const { memory, redis: fromRedis } of results) expect(fromRedis).toEqual(memory);
    expect(results.map((r) => [r.redis.totalHits, r.redis.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
      [4, true],
      [4, true],
    ]);
    expect(results[3].redis).toMatchObject({ timeToExpire: 10, timeToBlockExpire: 20 });
  });

  it('without a block duration, refuses hits over the limit until the oldest expires, like the in-memory storage', async () => {
    const results = await sideBySide(Array.from({ length: 4 }, () => ({ ttl: 10_000, limit: 2, block: 0 })));
    for (const { memory, redis: fromRedis } of results) expect(fromRedis).toEqual(memory);
    expect(results.map((r) => [r.redis.totalHits, r.redis.isBlocked, r.redis.timeToBlockExpire])).toEqual([
      [1, false, 'not read'],
      [2, false, 'not read'],
      [3, true, 10],
      [3, true, 10],
    ]);
  });

  it('forgets hits as they expire, one by one, and lifts a block once it has run out', async () => {
    const results = await sideBySide([
      // Every step is 300 ms or more away from any expiry and from a whole-second change of the times
      // returned, so that both stores see the same state even on a busy machine.
      { ttl: 1_600, limit: 2, block: 2_300 },
      { ttl: 1_600, limit: 2, block: 2_300, waitBefore: 800 },
      // The first hit has expired (and the window restarted): one left in it, so this one is allowed.
      { ttl: 1_600, limit: 2, block: 2_300, waitBefore: 1_200 },
      { ttl: 1_600, limit: 2, block: 2_300 },
      // Blocked from here for 2.3 s, while the hits that led to it expire...
      { ttl: 1_600, limit: 2, block: 2_300, waitBefore: 1_000 },
      // ...and counting afresh once the block is over.
      { ttl: 1_600, limit: 2, block: 2_300, waitBefore: 1_900 },
    ]);
    for (const { memory, redis: fromRedis } of results) expect(fromRedis).toEqual(memory);
    expect(results.map((r) => [r.redis.totalHits, r.redis.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [2, false],
      [3, true],
      [2, true],
      [1, false],
    ]);
  });

  it('is atomic: 40 concurrent hits from two instances let exactly the limit through', async () => {
    const prefix = uniqueRedisPrefix('atomic');
    const [a, b] = [await storage(prefix), await storage(prefix)];
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).increment('login', 60_000, 10, 60_000, 'account')));
    expect(results.filter((r) => !r.isBlocked)).toHaveLength(10);
    expect(Math.max(...results.map((r) => r.totalHits))).toBe(11);
  });

  it('keeps deployments apart by key prefix, and lets Redis expire what it no longer needs', async () => {
    const prefix = uniqueRedisPrefix('apart');
    const [mine, theirs] = [await storage(prefix), await storage(uniqueRedisPrefix('apart'))];
    await mine.increment('k', 5_000, 5, 8_000, 'default');
    await mine.increment('k', 5_000, 5, 8_000, 'default');
    expect((await theirs.increment('k', 5_000, 5, 8_000, 'default')).totalHits).toBe(1);

    const keys = (await redis.keys(`${prefix}*`)).sort();
    expect(keys).toEqual([`${prefix}throttler:{default:k}:hits`, `${prefix}throttler:{default:k}:state`]);
    for (const key of keys) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(4_000);
      expect(ttl).toBeLessThanOrEqual(5_000);
    }
  });
});

describeWithRedis('two instances sharing Redis (REDIS_URL)', () => {
  let first: TestApp;
  let second: TestApp;
  let redis: Redis;
  const prefix = uniqueRedisPrefix('instances');

  beforeAll(async () => {
    // TRUST_PROXY: the ceiling test plays several client addresses through X-Forwarded-For.
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      TRUST_PROXY: '127.0.0.1',
      AUTH_RATE_LIMIT_PER_IP: '6',
      AUTH_RATE_LIMIT_PER_ACCOUNT: '4',
      AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '6',
    };
    [first, second] = await Promise.all([startTestApp(env), startTestApp(env)]);
    redis = new Redis(TEST_REDIS_URL);
  });
  let secondClosed = false;
  afterAll(async () => {
    await Promise.all([first?.close(), secondClosed ? undefined : second?.close()]);
    await redis?.quit();
  });

  it('login attempts on one account from one address, split across both instances, hit 429 at the configured total', async () => {
    const email = uniqueEmail('shared-limit');
    expect((await first.api.post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
    const statuses: number[] = [];
    let last;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      last = await (attempt % 2 === 0 ? first : second).api.post('/auth/login', { email, password: attempt < 4 ? 'wrong password' : PASSWORD });
      statuses.push(last.status);
    }
    // Four attempts per minute in all: the fifth is refused even with the right password, whichever instance gets it.
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await first.api.post('/auth/login', { email, password: PASSWORD })).status).toBe(429);
  });

  it('the per-IP limit is shared too: registrations from one address, alternating instances, stop at the total', async () => {
    // Register's IP bucket is its own (buckets are per route): six per minute from 127.0.0.1.
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 8; attempt += 1) {
      statuses.push((await (attempt % 2 === 0 ? first : second).api.post('/auth/register', { email: uniqueEmail('per-ip'), password: PASSWORD })).status);
    }
    // The first test registered once from this IP on the first instance: 5 more fit in the minute, or 6 when that
    // registration's minute has passed already (a slow, loaded run). Counted per instance, each would have let all
    // four of its own through.
    const accepted = statuses.indexOf(429);
    expect([5, 6]).toContain(accepted);
    expect(statuses).toEqual([...Array<number>(accepted).fill(201), ...Array<number>(8 - accepted).fill(429)]);
  });

  it('the per-account ceiling is shared too: one account from many addresses, alternating instances, stops at the total', async () => {
    const email = uniqueEmail('shared-ceiling');
    expect((await first.api.post('/auth/register', { email, password: PASSWORD }, { headers: { 'x-forwarded-for': '127.0.0.49' } })).status).toBe(201);
    const statuses: number[] = [];
    // One wrong password from each address: each far below its own limits, six in all per minute.
    for (let attempt = 0; attempt < 7; attempt += 1) {
      const instance = attempt % 2 === 0 ? first : second;
      statuses.push((await instance.api.post('/auth/login', { email, password: 'wrong password' }, { headers: { 'x-forwarded-for': `127.0.0.${50 + attempt}` } })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
  });

  it('each instance holds one named Redis connection, and closes it on shutdown', async () => {
    const connections = async () => String(await redis.client('LIST')).split('\n').filter((line) => line.includes(`name=${prefix}rate-limits `));
    expect(await connections()).toHaveLength(2);
    await second.close();
    secondClosed = true;
    for (let waited = 0; (await connections()).length > 1 && waited < 2_000; waited += 50) await sleep(50);
    expect(await connections()).toHaveLength(1);
  });
});

describe('rate limits when Redis cannot be reached', () => {
  it('the storage still limits, per instance, and says so once', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    let warnings: string[] = [];
    let unreachable: RedisThrottlerStorage | undefined;
    try {
      unreachable = await RedisThrottlerStorage.connect('redis://127.0.0.1:1', uniqueRedisPrefix('down'));
      const results = [];
      for (let i = 0; i < 4; i += 1) results.push(await unreachable.increment('k', 60_000, 3, 60_000, 'default'));
      expect(results.map((r) => r.isBlocked)).toEqual([false, false, false, true]);
      expect(unreachable.isShared).toBe(false);
      warnings = warn.mock.calls.map(([message]) => String(message));
    } finally {
      await unreachable?.onApplicationShutdown();
      warn.mockRestore();
    }
    expect(warnings).toEqual([expect.stringMatching(/^Redis unavailable \(.+\): rate limits are counted per instance until it is back$/)]);
  });

  it('an instance whose REDIS_URL does not answer starts, signs users in, and limits attempts', async () => {
    const testApp = await startTestApp({ REDIS_URL: 'redis://127.0.0.1:1', AUTH_RATE_LIMIT_PER_ACCOUNT: '3' });
    try {
      const email = uniqueEmail('redis-down');
      expect((await testApp.api.post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 4; attempt += 1) statuses.push((await testApp.api.post('/auth/login', { email, password: PASSWORD })).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await testApp.close();
    }
  });

  itWithRedisServer('Redis lost mid-run: each instance counts alone, then they share again once it is back', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const prefix = uniqueRedisPrefix('outage');
    const messages = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const logs = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    let server = await startRedisServer(port);
    const instances: RedisThrottlerStorage[] = [];
    try {
      instances.push(await RedisThrottlerStorage.connect(url, prefix), await RedisThrottlerStorage.connect(url, prefix));
      const [a, b] = instances;
      const hit = (storage: RedisThrottlerStorage, key: string) => storage.increment(key, 60_000, 100, 60_000, 'default');
      expect([(await hit(a, 'before')).totalHits, (await hit(b, 'before')).totalHits]).toEqual([1, 2]);

      await server.stop();
      expect([(await hit(a, 'during')).totalHits, (await hit(b, 'during')).totalHits, (await hit(a, 'during')).totalHits]).toEqual([1, 1, 2]);
      expect([a.isShared, b.isShared]).toEqual([false, false]);

      server = await startRedisServer(port);
      for (const storage of instances) {
        for (let waited = 0; !storage.isShared && waited < 10_000; waited += 100) {
          await hit(storage, 'reconnecting');
          if (!storage.isShared) await sleep(100);
        }
      }
      expect([(await hit(a, 'after')).totalHits, (await hit(b, 'after')).totalHits]).toEqual([1, 2]);
      expect(messages.mock.calls.map(([message]) => String(message)).filter((m) => m.startsWith('Redis unavailable'))).toHaveLength(2);
      expect(logs.mock.calls.map(([message]) => String(message)).filter((m) => m === 'Redis is back: rate limits are shared again')).toHaveLength(2);
    } finally {
      await Promise.all(instances.map((storage) => storage.onApplicationShutdown()));
      await server.stop();
      messages.mockRestore();
      logs.mockRestore();
    }
  });
});

describe('two instances without REDIS_URL', () => {
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    const env = { AUTH_RATE_LIMIT_PER_ACCOUNT: '2' };
    [first, second] = await Promise.all([startTestApp(env), startTestApp(env)]);
  });
  afterAll(() => Promise.all([first.close(), second.close()]));

  it('each counts in its own memory (what REDIS_URL is for)', async () => {
    const email = uniqueEmail('local-limit');
    expect((await first.api.post('/auth/register', { email, password: PASSWORD })).status).toBe(201);
    const statuses: number[] = [];
    for (const app of [first, second, first, second, first]) statuses.push((await app.api.post('/auth/login', { email, password: 'wrong password' })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
  });
});
