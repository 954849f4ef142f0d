import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '@app/common';
import { AUTH_SETTINGS, type AuthSettings } from '../auth.service';
import { ACCESS_TOKEN_VERIFY_OPTIONS, accessTokenClaims, bearerToken } from '../tokens/access-tokens';
import { UsersService } from '@app/users';

/** Passport's name for this strategy: what AuthGuard('jwt') runs. */
export const JWT_STRATEGY = 'jwt';

/**
 * Who the caller is, from `Authorization: Bearer <access token>`. passport-jwt checks the signature
 * (HS256 only), issuer, audience and expiry; `validate` then checks the claims' shape and asks the
 * database whether the account is still active, its role, and whether the token is still current
 * (token_version), so a deactivation, role change or password change takes effect on the next request.
 * What `validate` returns becomes `request.user`; returning null makes the guard answer 401.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, JWT_STRATEGY) {
  constructor(
    private readonly users: UsersService,
    @Inject(AUTH_SETTINGS) settings: AuthSettings,
  ) {
    super({
      jwtFromRequest: (request: FastifyRequest) => bearerToken(request.headers.authorization) ?? null,
      // The pre-built KeyObject, not the secret text: jsonwebtoken derives a key from a string on every
      // verify (~500 µs here) but uses a KeyObject as it is (~10 µs). The typings only know string | Buffer.
      secretOrKey: settings.accessTokens.key as unknown as Buffer,
      ...ACCESS_TOKEN_VERIFY_OPTIONS,
      ignoreExpiration: false,
    });
  }

  async validate(payload: unknown): Promise<AuthenticatedUser | null> {
    const claims = accessTokenClaims(payload);
    if (!claims) return null;
    const user = await this.users.findForRequest(claims.userId);
    if (!user || !user.active || user.tokenVersion !== claims.version) return null;
    return { id: claims.userId, role: user.role };
  }
}
