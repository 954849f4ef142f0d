import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AUTH_SETTINGS, type AuthSettings } from '../auth.service';
import { IS_PUBLIC, RequestWithUser } from '../decorators';
import { UsersService } from '../users/users.service';

/**
 * The global guard: every route needs a valid bearer token unless it (or its controller) is
 * @Public(). The token proves who the caller is; whether the account is still active, its role and
 * whether the token is still current (token_version) come from the database on every request, so a
 * deactivation, role change or password change takes effect on the next request.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly users: UsersService,
    @Inject(AUTH_SETTINGS) private readonly settings: AuthSettings,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;

    const request = context.switchToHttp().getRequest<FastifyRequest & RequestWithUser>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedException('Missing bearer token: send Authorization: Bearer <access_token>');
    const claims = this.settings.accessTokens.verify(token);
    if (!claims) throw new UnauthorizedException('Invalid or expired access token');
    const user = await this.users.findForRequest(claims.userId);
    if (!user || !user.active || user.tokenVersion !== claims.version) {
      throw new UnauthorizedException('Invalid or expired access token');
    }
    request.user = { id: claims.userId, role: user.role };
    return true;
  }
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i);
  return match?.[1];
}
