import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ReadSource } from './read-replicas';

/** What the global guard leaves on a request it authenticated (libs/auth): a caller, whoever it is. */
interface RequestWithCaller {
  user?: unknown;
}

/** Requests to a public route whose bearer token JwtAuthGuard has verified (a WeakSet: nothing added to the request). */
const verifiedBearers = new WeakSet<object>();

/** Called by the global guard (libs/auth JwtAuthGuard) on a public route when the request's access token verifies. */
export function recordVerifiedBearer(request: object): void {
  verifiedBearers.add(request);
}

/**
 * Where a read may be served from: the primary for a caller whose access token verifies, a replica for
 * everyone else. That caller may be reading what it has just written (PUT, then GET to check), and a
 * replica may not have that yet, where the primary always has (read-your-writes). Anonymous callers
 * cannot have written anything, so a replica a moment behind serves them as well as the primary would.
 *
 * On public routes JwtAuthGuard checks a bearer token's signature and expiry with the prebuilt key
 * (`AccessTokens.verifies`, no database read) and records the outcome (`recordVerifiedBearer`): any
 * other Authorization header (not Bearer, not a JWT, expired, signed with another key) reads from the
 * replicas like an anonymous caller, so a made-up header cannot move reads to the primary. A verified
 * token of an account deactivated or signed out since still reads from the primary until it expires,
 * which only costs the primary that read. On routes that need a token, the caller is authenticated
 * (request.user) and reads from the primary.
 */
export const ReadFrom = createParamDecorator((_data: unknown, context: ExecutionContext): ReadSource => {
  const request = context.switchToHttp().getRequest<FastifyRequest & RequestWithCaller>();
  // Anonymous: one property read, nothing more.
  if (request.headers.authorization === undefined) return 'replica';
  return request.user !== undefined || verifiedBearers.has(request) ? 'primary' : 'replica';
});
