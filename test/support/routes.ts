import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer, Reflector } from '@nestjs/core';
import { API_KEY_ACCESS, type ApiKeyAccess, IS_PUBLIC, REQUIRED_ROLES, type Role } from '@app/common';
import type { TestApp } from './test-app';

export type Access = 'public' | 'authenticated' | 'admin';

export interface RouteAccess {
  method: string;
  path: string;
  access: Access;
  /** What an API key may do there: a scope it needs, `any` key, `never`, or `closed` (nothing declared: refused). */
  apiKey: ApiKeyAccess | 'closed';
}

/** Every route the application serves, with the access rule its decorators declare. */
export function declaredRoutes(testApp: TestApp): RouteAccess[] {
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
        const apiKey = reflector.getAllAndOverride<ApiKeyAccess | undefined>(API_KEY_ACCESS, [handler, controller]) ?? 'closed';
        const path = `/${[base, sub].filter((part) => part && part !== '/').join('/')}`.replace(/\/+/g, '/');
        routes.push({ method, path, access, apiKey });
      }
    }
  }
  return routes.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}
