import { ExecutionContext, SetMetadata, UnauthorizedException, applyDecorators, createParamDecorator } from '@nestjs/common';
import { ApiAccess } from '../openapi/api-docs.decorators';
import { AuthenticatedUser, Role } from './authenticated-user';

export const IS_PUBLIC = 'auth:isPublic';
export const REQUIRED_ROLES = 'auth:roles';

/**
 * Access declarations: metadata only. The global guards of libs/auth (JwtAuthGuard, RolesGuard) enforce
 * them; every feature module declares its routes' access with these.
 */

/**
 * Opts a route (or a whole controller) out of the global bearer-token requirement. Also marks it in
 * the OpenAPI document, which then lists no security requirement for it.
 */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), ApiAccess('public'));

/** Restricts a route (or controller) to callers with one of these roles; checked by RolesGuard. */
export const Roles = (...roles: Role[]) => applyDecorators(SetMetadata(REQUIRED_ROLES, roles), ...(roles.includes('ADMIN') ? [ApiAccess('admin')] : []));

export interface RequestWithUser {
  user?: AuthenticatedUser;
}

/** The authenticated caller. Only valid on routes that are not @Public(). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): AuthenticatedUser => {
  const user = context.switchToHttp().getRequest<RequestWithUser>().user;
  // Unreachable unless a route is both public and reads the caller: fail closed.
  if (!user) throw new UnauthorizedException('Authentication required');
  return user;
});
