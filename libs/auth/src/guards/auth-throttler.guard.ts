import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { FastifyReply } from 'fastify';

/** Throttler names: one bucket per client IP, one per account (email or refresh token). */
export const IP_THROTTLER = 'default';
export const ACCOUNT_THROTTLER = 'account';

/** The account a sign-in attempt is about, so guessing one password from many IPs is limited too. */
export function accountKey(request: { body?: unknown; ip: string }): string {
  const body = (typeof request.body === 'object' && request.body !== null ? request.body : {}) as Record<string, unknown>;
  if (typeof body.email === 'string') return `email:${body.email.trim().toLowerCase()}`;
  if (typeof body.refresh_token === 'string') return `refresh:${body.refresh_token.slice(0, 64)}`;
  return `ip:${request.ip}`;
}

/** ThrottlerGuard with a plain `Retry-After` header (named throttlers only set `Retry-After-<name>`). */
@Injectable()
export class AuthThrottlerGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    void context.switchToHttp().getResponse<FastifyReply>().header('retry-after', String(Math.max(1, detail.timeToBlockExpire)));
    return super.throwThrottlingException(context, detail);
  }
}
