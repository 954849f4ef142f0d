import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  DEFAULT_IPV6_SUBNET_PREFIX,
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerException,
  ThrottlerGuard,
  type ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerOptions,
  type ThrottlerRequest,
  ThrottlerStorage,
  normalizeIp,
} from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';
import { type RateLimit, RateLimitMetrics } from '../rate-limits/rate-limit-metrics';

/**
 * Throttler names: one bucket per client IP; one per account and client IP (or per refresh token); one
 * per account from all addresses together (the ceiling).
 */
export const IP_THROTTLER = 'default';
export const ACCOUNT_THROTTLER = 'account';
export const ACCOUNT_CEILING_THROTTLER = 'account-ceiling';

const MINUTE_MS = 60_000;

/** Each throttler as the `limit` label of its rejections (named after the setting that sizes it). */
const RATE_LIMIT_OF: Record<string, RateLimit> = {
  [IP_THROTTLER]: 'auth_per_ip',
  [ACCOUNT_THROTTLER]: 'auth_per_account',
  [ACCOUNT_CEILING_THROTTLER]: 'auth_per_account_ceiling',
};

interface AttemptRequest {
  body?: unknown;
  ip: string;
}

/** The account a sign-in or registration names, normalised as accounts are stored; undefined if none. */
export function attemptedEmail(request: { body?: unknown }): string | undefined {
  const body = request.body;
  if (typeof body !== 'object' || body === null) return undefined;
  const email = (body as Record<string, unknown>).email;
  return typeof email === 'string' ? email.trim().toLowerCase() : undefined;
}

/**
 * The client address as the per-IP throttler counts it (ThrottlerGuard's default tracker): an IPv4
 * address, or an IPv6 address's /64, which one client usually has whole.
 */
export function clientAddress(request: { ip: string }): string {
  return normalizeIp(request.ip, DEFAULT_IPV6_SUBNET_PREFIX);
}

/**
 * Key of the `account` throttler. An email counts per account *and* client address: a stranger's wrong
 * passwords fill the stranger's bucket for that account, not the owner's, so they cannot lock the
 * owner out (the ceiling below bounds a guess spread over many addresses). A refresh token counts per
 * token, whatever the address: only its holder can send it. The address comes first, and has no `|`,
 * so no email can make one pair's key another's.
 */
export function accountKey(request: AttemptRequest): string {
  const email = attemptedEmail(request);
  if (email !== undefined) return `ip:${clientAddress(request)}|email:${email}`;
  const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
  if (typeof body.refresh_token === 'string') return `refresh:${body.refresh_token.slice(0, 64)}`;
  return `ip:${request.ip}`;
}

/** Key of the ceiling: the account alone, from every address; undefined (the ceiling skips it) without an email. */
export function accountCeilingKey(request: { body?: unknown }): string | undefined {
  const email = attemptedEmail(request);
  return email === undefined ? undefined : `email:${email}`;
}

export interface AuthRateLimits {
  rateLimitPerIp: number;
  rateLimitPerAccount: number;
  rateLimitPerAccountCeiling: number;
}

/**
 * The throttlers of the sign-in routes (AuthThrottlerGuard), each counting per minute and per route,
 * and blocking for a minute once over. They run in this order and the first one over stops the
 * request, so an attempt refused by its own address's limits never reaches the ceiling: one address
 * adds at most `rateLimitPerAccount` a minute to an account's ceiling, and only
 * `rateLimitPerAccountCeiling / rateLimitPerAccount` addresses together can reach it.
 */
export function authThrottlers(limits: AuthRateLimits): ThrottlerOptions[] {
  return [
    { name: IP_THROTTLER, ttl: MINUTE_MS, limit: limits.rateLimitPerIp },
    { name: ACCOUNT_THROTTLER, ttl: MINUTE_MS, limit: limits.rateLimitPerAccount, getTracker: (request) => accountKey(request as AttemptRequest) },
    {
      name: ACCOUNT_CEILING_THROTTLER,
      ttl: MINUTE_MS,
      limit: limits.rateLimitPerAccountCeiling,
      // Refresh tokens (and routes without an email, such as logout) are counted by the two above only.
      skipIf: (context) => accountCeilingKey(context.switchToHttp().getRequest<AttemptRequest>()) === undefined,
      getTracker: (request) => accountCeilingKey(request) ?? '',
    },
  ];
}

/**
 * ThrottlerGuard with a plain `Retry-After` header (named throttlers only set `Retry-After-<name>`), and each
 * rejection counted by the throttler that made it (the exception itself does not say which).
 */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly rateLimitMetrics: RateLimitMetrics,
  ) {
    super(options, storage, reflector);
  }

  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(request);
    } catch (error) {
      const limit = request.throttler.name === undefined ? undefined : RATE_LIMIT_OF[request.throttler.name];
      if (error instanceof ThrottlerException && limit) this.rateLimitMetrics.rejected(limit);
      throw error;
    }
  }

  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    void context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(Math.max(1, detail.timeToBlockExpire)));
    return super.throwThrottlingException(context, detail);
  }
}
