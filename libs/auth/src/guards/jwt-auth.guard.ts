import { ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { API_KEY_ACCESS, type ApiKeyAccess, IS_PUBLIC } from '@app/common';
import { recordVerifiedBearer } from '@app/database';
import { isApiKey } from '../api-keys/api-key-access';
import { ApiKeyAuthentication, INVALID_CREDENTIALS } from '../api-keys/api-key-authentication';
import { AUTH_SETTINGS, type AuthSettings } from '../auth.service';
import { JWT_STRATEGY } from '../strategies/jwt.strategy';
import { type AccessTokens, bearerToken } from '../tokens/access-tokens';

const MISSING_TOKEN = 'Missing bearer token: send Authorization: Bearer <access_token>';

/**
 * The global guard: every route needs a valid bearer token (JwtStrategy) unless it, or its controller,
 * is @Public(). Registered once as APP_GUARD, so a new route is closed until someone opens it.
 *
 * On a public route a bearer token is optional; when one is sent, its signature and expiry are checked
 * (no database read) and a token that verifies is recorded for ReadFrom, which sends that caller's
 * reads to the primary. A request without an Authorization header costs nothing more.
 *
 * An API key (`Bearer lak_…`) is told from an access token by its prefix and goes to ApiKeyAuthentication
 * instead of Passport: one lookup, then the route's API key declaration (@RequiresScope() and friends), then
 * the key's rate limit. On a public route a key is not looked up (public reads stay public, and read from the
 * replicas like any unverified header): it is only refused where no key may ever act (@NoApiKeys()).
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(JWT_STRATEGY) {
  private readonly accessTokens: AccessTokens;

  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_SETTINGS) settings: AuthSettings,
    private readonly apiKeys: ApiKeyAuthentication,
  ) {
    super();
    this.accessTokens = settings.accessTokens;
  }

  override canActivate(context: ExecutionContext) {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets);
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const header = request.headers.authorization;
    const token = header === undefined ? undefined : bearerToken(header);
    if (isPublic) {
      if (token !== undefined) {
        if (isApiKey(token)) this.apiKeys.refuseOnPublicRoute(this.reflector.getAllAndOverride<ApiKeyAccess | undefined>(API_KEY_ACCESS, targets));
        else if (this.accessTokens.verifies(token)) recordVerifiedBearer(request);
      }
      return true;
    }
    if (token !== undefined && isApiKey(token)) {
      const access = this.reflector.getAllAndOverride<ApiKeyAccess | undefined>(API_KEY_ACCESS, targets);
      return this.apiKeys.authenticate(request, context.switchToHttp().getResponse<FastifyReply>(), token, access);
    }
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
    throw new UnauthorizedException(bearerToken(request.headers.authorization) ? INVALID_CREDENTIALS : MISSING_TOKEN);
  }
}
