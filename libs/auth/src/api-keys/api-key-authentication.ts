import { ForbiddenException, Inject, Injectable, Logger, type OnApplicationShutdown, UnauthorizedException } from '@nestjs/common';
import { ThrottlerException, ThrottlerStorage } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig, type ApiKeyAccess, type AuthenticatedUser } from '@app/common';
import { SqlService } from '@app/database';
import { PerMinuteCounter } from '../rate-limits/per-minute-counter';
import { RateLimitMetrics } from '../rate-limits/rate-limit-metrics';
import { apiKeyRefusal, hasApiKeyShape, hashApiKey } from './api-key-access';
import { type KeyForRequestRow, keyForRequest, recordUse } from './api-key.statements';

/** The same 401 body as a bad access token: a client learns nothing about which keys exist. */
export const INVALID_CREDENTIALS = 'Invalid or expired access token';

/** The rate limit's bucket name, in the throttler storage shared with the sign-in limits (and in Redis keys). */
const API_KEY_THROTTLER = 'api-key';
const MINUTE_MS = 60_000;

/**
 * The API key half of the global guard (JwtAuthGuard hands it every non-public request whose bearer starts
 * with `lak_`): who the key acts as, whether the route admits it, and its rate limit, in that order.
 *
 * Outside Passport on purpose: the prefix already tells a key from a token, and the whole path is one SHA-256
 * (about 1 µs) and one prepared statement, like the access token's account check, with nothing cached in the
 * process, so a revocation or the owner's deactivation is refused on the next request on every instance.
 */
@Injectable()
export class ApiKeyAuthentication implements OnApplicationShutdown {
  private readonly logger = new Logger('ApiKeys');
  private readonly limitPerMinute: number;
  /** Without REDIS_URL: this process' own count (see PerMinuteCounter); with it, the shared throttler storage. */
  private readonly localCounter: PerMinuteCounter | undefined;

  constructor(
    private readonly sql: SqlService,
    @Inject(ThrottlerStorage) private readonly sharedCounters: ThrottlerStorage,
    config: AppConfig,
    private readonly rateLimitMetrics: RateLimitMetrics,
  ) {
    this.limitPerMinute = config.auth.apiKeyRateLimitPerMinute;
    this.localCounter = config.redisUrl ? undefined : new PerMinuteCounter(this.limitPerMinute);
  }

  onApplicationShutdown(): void {
    this.localCounter?.onApplicationShutdown();
  }

  /**
   * Sets request.user to the key's owner (with the key's id and scopes), or throws: 401 for an unknown,
   * revoked or expired key or a deactivated owner; 403 when the route does not admit this key; 429 over the limit.
   */
  async authenticate(request: FastifyRequest, reply: FastifyReply, key: string, access: ApiKeyAccess | undefined): Promise<true> {
    const row = hasApiKeyShape(key) ? (await this.sql.query<KeyForRequestRow>(keyForRequest(hashApiKey(key))))[0] : undefined;
    if (!row) throw new UnauthorizedException(INVALID_CREDENTIALS);
    const user: AuthenticatedUser = { id: row.owner_id, role: row.role, apiKey: { id: row.id, scopes: row.scopes } };
    // Before the checks below, so the request log names the caller of a refused request too.
    (request as FastifyRequest & { user?: AuthenticatedUser }).user = user;
    if (row.last_use_stale) this.recordUse(row.id);
    const refusal = apiKeyRefusal(access, row.scopes);
    if (refusal) throw new ForbiddenException(refusal);
    await this.countRequest(row.id, reply);
    return true;
  }

  /** 403 for a key on a @Public() route that no key may call (refresh, logout…): no need to look the key up to refuse it. */
  refuseOnPublicRoute(access: ApiKeyAccess | undefined): void {
    if (access === 'never') throw new ForbiddenException(apiKeyRefusal('never', []));
  }

  /** Fire and forget: the request does not wait for it, and a failure costs only a late last_used_date. */
  private recordUse(id: number): void {
    this.sql.query(recordUse(id)).catch((error: Error) => this.logger.warn(`Could not record the use of API key ${id}: ${error.message}`));
  }

  /**
   * One request against the key's per-minute budget. A sliding minute without a block: over the limit, a request is
   * refused (and not counted) until the oldest counted one is a minute old, which is what Retry-After says. With
   * REDIS_URL, in the sign-in limits' storage (RedisThrottlerStorage), so all instances share one budget per key;
   * without, in this process at O(1) a request.
   */
  private async countRequest(id: number, reply: FastifyReply): Promise<void> {
    const retryAfterSeconds = this.localCounter ? this.countLocally(id) : await this.countShared(id);
    if (retryAfterSeconds === undefined) return;
    this.rateLimitMetrics.rejected('api_key');
    void reply.header('retry-after', String(retryAfterSeconds));
    throw new ThrottlerException(`Too many requests with this API key: at most ${this.limitPerMinute} a minute`);
  }

  private countLocally(id: number): number | undefined {
    const outcome = this.localCounter!.count(String(id));
    return outcome.allowed ? undefined : outcome.retryAfterSeconds;
  }

  private async countShared(id: number): Promise<number | undefined> {
    const { isBlocked, timeToBlockExpire } = await this.sharedCounters.increment(`api-key:${id}`, MINUTE_MS, this.limitPerMinute, 0, API_KEY_THROTTLER);
    return isBlocked ? Math.max(1, timeToBlockExpire) : undefined;
  }
}
