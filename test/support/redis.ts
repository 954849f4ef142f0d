import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** The Redis the shared-limit tests use (this machine kind runs one on 6379). */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own per test run, so runs sharing one Redis never count each other's hits. */
export function uniqueRedisPrefix(what: string): string {
  return `listing-test:${what}:${process.pid}-${randomBytes(4).toString('hex')}:`;
}

const answers = new Map<string, boolean>();

/** Whether TEST_REDIS_URL answers PING, decided synchronously (jest decides describe vs skip at load). */
function redisAnswers(url: string): boolean {
  if (!answers.has(url)) answers.set(url, probeRedis(url));
  return answers.get(url) === true;
}

function probeRedis(url: string): boolean {
  const probe = `
    const { Redis } = require('ioredis');
    const redis = new Redis(process.argv[1], { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => {});
    redis.connect().then(() => redis.ping()).then((reply) => process.exit(reply === 'PONG' ? 0 : 1), () => process.exit(1));`;
  try {
    execFileSync(process.execPath, ['-e', probe, url], { stdio: 'ignore', timeout: 5_000, cwd: process.cwd() });
    return true;
  } catch {
    return false;
  }
}

/**
 * `describe` for suites that need Redis, like describeWithBrowser for Chromium: run them when Redis
 * answers; otherwise skip them with a warning on a developer machine (a fresh clone's `npm test` needs
 * nothing installed), or fail when REQUIRE_REDIS=1 (CI, whose machine runs Redis).
 */
export function describeWithRedis(name: string, suite: () => void): void {
  if (redisAnswers(TEST_REDIS_URL)) {
    describe(name, suite);
    return;
  }
  const why = `no Redis answers at ${TEST_REDIS_URL} (set TEST_REDIS_URL, or start one: apt-get install -y redis-server) to run "${name}"`;
  if (process.env.REQUIRE_REDIS === '1') {
    describe(name, () => {
      it('needs Redis (REQUIRE_REDIS=1)', () => {
        throw new Error(`${why} (REQUIRE_REDIS=1 forbids skipping Redis tests)`);
      });
    });
    return;
  }
  console.warn(`Skipping Redis tests: ${why} (set REQUIRE_REDIS=1 to make this a failure).`);
  // Skipped on purpose, and said so above: no Redis here and REQUIRE_REDIS is not set.
  describe.skip(name, suite);
}
