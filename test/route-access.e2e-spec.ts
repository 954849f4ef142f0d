import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { IS_PUBLIC, REQUIRED_ROLES, type Role } from '@app/auth';
import { SignedIn, TestApp, signUp, startTestApp } from './support/test-app';

type Access = 'public' | 'authenticated' | 'admin';

interface RouteAccess {
  method: string;
  path: string;
  access: Access;
}

/** Every route the application serves, with the access rule its decorators declare. */
function declaredRoutes(testApp: TestApp): RouteAccess[] {
  const reflector = testApp.app.get(Reflector);
  const routes: RouteAccess[] = [];
  for (const module of testApp.app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => unknown) | undefined;
      if (!controller) continue;
      const base = (Reflect.getMetadata(PATH_METADATA, controller) as string | undefined) ?? '';
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const sub = Reflect.getMetadata(PATH_METADATA, handler) as string;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const isPublic = reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, controller]);
        const roles = reflector.getAllAndOverride<Role[] | undefined>(REQUIRED_ROLES, [handler, controller]);
        const access: Access = isPublic ? 'public' : roles?.includes('ADMIN') ? 'admin' : 'authenticated';
        const path = `/${[base, sub].filter((part) => part && part !== '/').join('/')}`.replace(/\/+/g, '/');
        routes.push({ method, path, access });
      }
    }
  }
  return routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

describe('route access declarations', () => {
  let testApp: TestApp;
  let user: SignedIn;

  beforeAll(async () => {
    testApp = await startTestApp();
    user = await signUp(testApp);
  });
  afterAll(() => testApp.close());

  // A route that becomes public (or loses its admin rule) by accident shows up here as a diff.
  it('every route and its access rule', () => {
    expect(declaredRoutes(testApp).map((r) => `${r.method.padEnd(6)} ${r.path.padEnd(28)} ${r.access}`)).toMatchSnapshot();
  });

  it('the declarations are what the server enforces: 401 without a token, 403 for a non-admin on admin routes', async () => {
    for (const route of declaredRoutes(testApp)) {
      const path = route.path.replace(':id', '1');
      const withBody = route.method === 'GET' || route.method === 'DELETE' ? {} : { json: {} };
      const anonymous = await testApp.api.request(route.method, path, withBody);
      if (route.access === 'public') expect({ route, status: anonymous.status }).not.toEqual({ route, status: 401 });
      else expect({ route, status: anonymous.status }).toEqual({ route, status: 401 });

      if (route.access === 'admin') {
        const asUser = await user.api.request(route.method, path, withBody);
        expect({ route, status: asUser.status }).toEqual({ route, status: 403 });
      }
    }
  });
});
