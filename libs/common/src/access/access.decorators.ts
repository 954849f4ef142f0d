import { ExecutionContext, SetMetadata, UnauthorizedException, applyDecorators, createParamDecorator } from '@nestjs/common';
import { ApiAccess, ApiKeyAccessDoc } from '../openapi/api-docs.decorators';
import { ApiKeyScope, AuthenticatedUser, Role } from './authenticated-user';

export const IS_PUBLIC = 'auth:isPublic';
export const REQUIRED_ROLES = 'auth:roles';
export const API_KEY_ACCESS = 'auth:apiKeyAccess';

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

/**
 * What an API key may do on a route: a key holding this scope may call it (`ApiKeyScope`), any key may
 * (`any`), or no key ever may (`never`: account management, which needs the owner's own sign-in). A route
 * that declares nothing is closed to keys, so a new route does not open to them by accident.
 */
export type ApiKeyAccess = ApiKeyScope | 'any' | 'never';

const declareApiKeyAccess = (access: ApiKeyAccess) => applyDecorators(SetMetadata(API_KEY_ACCESS, access), ApiKeyAccessDoc(access));

/** An API key may call this route (or this controller's routes) only if it holds `scope`. */
export const RequiresScope = (scope: ApiKeyScope) => declareApiKeyAccess(scope);

/** Any valid API key may call this route, whatever its scopes (reading who the key acts as). */
export const AnyApiKey = () => declareApiKeyAccess('any');

/**
 * No API key may ever call this route, even on a @Public() one: passwords, API keys and tokens are managed
 * with the owner's own sign-in only, so a leaked key cannot outlive its revocation or take the account over.
 */
export const NoApiKeys = () => declareApiKeyAccess('never');

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
