import { ExecutionContext, SetMetadata, UnauthorizedException, createParamDecorator } from '@nestjs/common';
import { AuthenticatedUser, Role } from './authenticated-user';

export const IS_PUBLIC = 'auth:isPublic';
export const REQUIRED_ROLES = 'auth:roles';

/** Opts a route (or a whole controller) out of the global bearer-token requirement. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Restricts a route (or controller) to callers with one of these roles; checked by RolesGuard. */
export const Roles = (...roles: Role[]) => SetMetadata(REQUIRED_ROLES, roles);

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
