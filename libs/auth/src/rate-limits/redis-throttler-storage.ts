import { Logger, OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorage, ThrottlerStorageService } from '@nestjs/throttler';
import { Redis } from 'ioredis';

/** What ThrottlerGuard reads from a storage (the package does not export the interface's name). */
export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * One hit, atomically: the same steps as @nestjs/throttler 6.7's in-memory ThrottlerStorageService
 * (a sliding log of hit expirations, a window that restarts once it has passed, a block that starts
 * when the count goes over the limit and clears on the first hit after it ends), on Redis' clock so
 * that instances whose clocks differ still agree. KEYS[1] is a hash (expiresAt, isBlocked,
 * blockExpiresAt, seq), KEYS[2] a sorted set of hits scored by when each expires; both expire when
 * nothing in them matters any more, like the records the in-memory sweep evicts.
 */
const INCREMENT_SCRIPT = `
local stateKey, hitsKey = KEYS[1], KEYS[2]
local ttl, limit, blockDuration = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function seconds(ms) return math.ceil(ms / 1000) end
local function ms(value) return string.format('%.0f', value) end

local state = redis.call('HMGET', stateKey, 'expiresAt', 'isBlocked', 'blockExpiresAt')
local expiresAt = tonumber(state[1]) or (now + ttl)
local isBlocked = state[2] == '1'
local blockExpiresAt = tonumber(state[3]) or 0

redis.call('ZREMRANGEBYSCORE', hitsKey, '-inf', ms(now))
local totalHits = redis.call('ZCARD', hitsKey)
local function fire()
  redis.call('ZADD', hitsKey, ms(now + ttl), redis.call('HINCRBY', stateKey, 'seq', 1))
  totalHits = totalHits + 1
end

local timeToExpire = seconds(expiresAt - now)
if timeToExpire <= 0 then
  expiresAt = now + ttl
  timeToExpire = seconds(expiresAt - now)
end

local result
if blockDuration <= 0 then
  -- No block: over the limit, the hit is refused (not counted) until the oldest one expires.
  local refused = totalHits >= limit
  if not refused then fire() end
  local timeToBlockExpire = 0
  if refused then
    local oldest = redis.call('ZRANGE', hitsKey, 0, 0, 'WITHSCORES')
    timeToBlockExpire = oldest[2] and seconds(tonumber(oldest[2]) - now) or timeToExpire
  end
  result = { totalHits + (refused and 1 or 0), timeToExpire, refused and 1 or 0, timeToBlockExpire }
else
  if not isBlocked then fire() end
  if totalHits > limit and not isBlocked then
    isBlocked = true
    blockExpiresAt = now + blockDuration
  end
  local timeToBlockExpire = seconds(blockExpiresAt - now)
  if timeToBlockExpire <= 0 and isBlocked then
    isBlocked = false
    redis.call('DEL', hitsKey)
    totalHits = 0
    fire()
  end
  result = { totalHits, timeToExpire, isBlocked and 1 or 0, timeToBlockExpire }
end

redis.call('HSET', stateKey, 'expiresAt', ms(expiresAt), 'isBlocked', isBlocked and '1' or '0', 'blockExpiresAt', ms(blockExpiresAt))
local keep = expiresAt - now
local newest = redis.call('ZRANGE', hitsKey, -1, -1, 'WITHSCORES')
if newest[2] then keep = math.max(keep, tonumber(newest[2]) - now) end
if isBlocked then keep = math.max(keep, blockExpiresAt - now) end
keep = ms(math.max(keep, 1))
redis.call('PEXPIRE', stateKey, keep)
redis.call('PEXPIRE', hitsKey, keep)
return result
`;

type ScriptReply = [totalHits: number, timeToExpire: number, isBlocked: 0 | 1, timeToBlockExpire: number];

interface ThrottlerCommands {
  throttlerIncrement(stateKey: string, hitsKey: string, ttl: number, limit: number, blockDuration: number): Promise<ScriptReply>;
}

/** A Redis command that does not answer within this is treated as Redis being down. */
const COMMAND_TIMEOUT_MS = 500;
/** How long startup waits for Redis before it serves with per-instance limits. */
const STARTUP_WAIT_MS = 3_000;

/**
 * Rate-limit counters in Redis, so that every instance behind the load balancer counts against one
 * limit. Keys are `<prefix>throttler:{<throttler name>:<key>}:state|hits` (the braces keep both keys
 * of a bucket in one Redis Cluster slot).
 *
 * When Redis cannot be reached (down at startup, lost later, or slower than COMMAND_TIMEOUT_MS), each
 * instance counts in its own memory, as a single instance always does, and says so once in the log:
 * sign-in keeps working and brute force stays bounded (at most the limit times the number of
 * instances), where failing open would remove the limit and answering 503 would lock every user out
 * of login, register and refresh for as long as a cache is down. Shared counting resumes as soon as
 * Redis answers again; what was counted locally meanwhile is not carried over.
 */
export class RedisThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly logger = new Logger('RateLimits');
  private readonly local = new ThrottlerStorageService();
  private readonly commands: ThrottlerCommands;
  private shared = true;
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {
    redis.defineCommand('throttlerIncrement', { numberOfKeys: 2, lua: INCREMENT_SCRIPT });
    this.commands = redis as unknown as ThrottlerCommands;
    // Without a listener ioredis reports every failed reconnection attempt as an unhandled error.
    redis.on('error', (error: Error) => this.degrade(error));
  }

  /** Connects (waiting up to STARTUP_WAIT_MS); starts anyway, with per-instance limits, if Redis is not there. */
  static async connect(url: string, keyPrefix: string): Promise<RedisThrottlerStorage> {
    const redis = new Redis(url, {
      // Shows in CLIENT LIST which deployment a connection belongs to.
      connectionName: `${keyPrefix}rate-limits`,
      lazyConnect: true,
      connectTimeout: STARTUP_WAIT_MS,
      commandTimeout: COMMAND_TIMEOUT_MS,
      // Fail at once while disconnected (counted locally) rather than queue behind a dead connection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    const storage = new RedisThrottlerStorage(redis, keyPrefix);
    try {
      await redis.connect();
    } catch (error) {
      storage.degrade(error as Error);
    }
    return storage;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    if (this.redis.status === 'ready') {
      const bucket = `${this.keyPrefix}throttler:{${throttlerName}:${key}}`;
      try {
        const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = await this.commands.throttlerIncrement(`${bucket}:state`, `${bucket}:hits`, ttl, limit, blockDuration);
        this.recover();
        return { totalHits, timeToExpire, isBlocked: isBlocked === 1, timeToBlockExpire };
      } catch (error) {
        this.degrade(error as Error);
      }
    } else {
      // Disconnected without an 'error' event yet (a clean server shutdown closes the socket quietly;
      // the failed reconnection comes later): counting locally from now on, so say so now.
      this.degrade(new Error(`connection ${this.redis.status}`));
    }
    return this.local.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  /** Whether counts are currently shared through Redis (false: this instance counts alone). */
  get isShared(): boolean {
    return this.shared && this.redis.status === 'ready';
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.local.onApplicationShutdown();
    try {
      await this.redis.quit();
    } catch {
      // Not connected: nothing to say goodbye to.
      this.redis.disconnect();
    }
  }

  private degrade(error: Error): void {
    if (!this.shared || this.closed) return;
    this.shared = false;
    this.logger.warn(`Redis unavailable (${error.message}): rate limits are counted per instance until it is back`);
  }

  private recover(): void {
    if (this.shared) return;
    this.shared = true;
    this.logger.log('Redis is back: rate limits are shared again');
  }
}
