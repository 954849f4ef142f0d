import { Controller, type ExecutionContext, ForbiddenException, Get } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { type AuthenticatedUser, Roles } from '@app/common';
import { RolesGuard } from './roles.guard';

@Controller('admin-area')
@Roles('ADMIN')
class AdminController {
  @Get()
  list() {}

  /** A handler's own @Roles() replaces the controller's. */
  @Roles('USER', 'ADMIN')
  @Get('shared')
  shared() {}
}

@Controller('anyone')
class PlainController {
  @Get()
  read() {}

  @Roles('ADMIN')
  @Get('admin')
  administer() {}
}

function contextFor(controller: new () => object, handler: string, user?: AuthenticatedUser): ExecutionContext {
  return {
    getClass: () => controller,
    getHandler: () => (controller.prototype as Record<string, unknown>)[handler],
    switchToHttp: () => ({ getRequest: () => ({ user }) }),
  } as unknown as ExecutionContext;
}

describe('RolesGuard (reads @Roles() and the caller\'s role, nothing else)', () => {
  const guard = new RolesGuard(new Reflector());
  const user: AuthenticatedUser = { id: 1, role: 'USER' };
  const admin: AuthenticatedUser = { id: 2, role: 'ADMIN' };

  it('a route without @Roles() is open to any caller the JWT guard let in', () => {
    expect(guard.canActivate(contextFor(PlainController, 'read', user))).toBe(true);
    expect(guard.canActivate(contextFor(PlainController, 'read'))).toBe(true);
  });

  it('@Roles(\'ADMIN\') on a handler: an admin passes, a user gets a 403 with a message', () => {
    expect(guard.canActivate(contextFor(PlainController, 'administer', admin))).toBe(true);
    expect(() => guard.canActivate(contextFor(PlainController, 'administer', user))).toThrow(new ForbiddenException('This operation is reserved to administrators'));
  });

  it('@Roles(\'ADMIN\') on the controller covers its handlers', () => {
    expect(guard.canActivate(contextFor(AdminController, 'list', admin))).toBe(true);
    expect(() => guard.canActivate(contextFor(AdminController, 'list', user))).toThrow(ForbiddenException);
  });

  it('a handler\'s @Roles() overrides the controller\'s', () => {
    expect(guard.canActivate(contextFor(AdminController, 'shared', user))).toBe(true);
  });

  it('no caller on a route with roles (a route that is also @Public()): 403, never through', () => {
    expect(() => guard.canActivate(contextFor(AdminController, 'list'))).toThrow(ForbiddenException);
  });
});
