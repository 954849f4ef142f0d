import { ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { IS_PUBLIC } from '../decorators';
import { JWT_STRATEGY } from '../strategies/jwt.strategy';
import { bearerToken } from '../tokens/access-tokens';

const MISSING_TOKEN = 'Missing bearer token: send Authorization: Bearer <access_token>';
const INVALID_TOKEN = 'Invalid or expired access token';

/**
 * The global guard: every route needs a valid bearer token (JwtStrategy) unless it, or its controller,
 * is @Public(). Registered once as APP_GUARD, so a new route is closed until someone opens it.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(JWT_STRATEGY) {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    return super.canActivate(context);
  }

  /** Passport's outcome as the API's 401 bodies: a missing token and a bad one get different advice. */
  override handleRequest<TUser>(error: unknown, user: TUser | false, _info: unknown, context: ExecutionContext): TUser {
    // An error (rather than a failed check) is the database failing in JwtStrategy.validate: let the
    // exception filter answer it as it answers any other database error (it reads `cause` too; an
    // error from another realm, such as Node's own socket errors under Jest, is not `instanceof Error`).
    if (error) throw error instanceof Error ? error : new Error(`authentication failed: ${JSON.stringify(error)}`, { cause: error });
    if (user) return user;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    throw new UnauthorizedException(bearerToken(request.headers.authorization) ? INVALID_TOKEN : MISSING_TOKEN);
  }
}
