import { API_KEY_SCOPES, type ApiKeyScope } from '@app/common';
import { declaredRoutes } from './support/routes';
import { SignedIn, TestApp, signUp, signUpAdmin, startTestApp } from './support/test-app';

describe('route access declarations', () => {
  let testApp: TestApp;
  let user: SignedIn;

  beforeAll(async () => {
    testApp = await startTestApp();
    user = await signUp(testApp);
  });
  afterAll(() => testApp.close());

  // A route that becomes public (or loses its admin rule, or opens to API keys) by accident shows up here as a diff.
  it('every route and its access rule', () => {
    expect(declaredRoutes(testApp).map((r) => `${r.method.padEnd(6)} ${r.path.padEnd(28)} ${r.access.padEnd(13)} key: ${r.apiKey}`)).toMatchSnapshot();
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

  it('the API key declarations are what the server enforces: a key without the route\'s scope, or on a route closed to keys, is a 403 naming why', async () => {
    const admin = await signUpAdmin(testApp);
    const keyWith = async (scopes: ApiKeyScope[]) => {
      const created = await admin.api.post<{ key: string }>('/auth/api-keys', { name: `scopes ${scopes.join(' ')}`, scopes });
      expect(created.status).toBe(201);
      return created.body.key;
    };
    const everyScope = await keyWith([...API_KEY_SCOPES]);
    const without = Object.fromEntries(await Promise.all(API_KEY_SCOPES.map(async (scope) => [scope, await keyWith(API_KEY_SCOPES.filter((s) => s !== scope))] as const)));

    for (const route of declaredRoutes(testApp)) {
      // An id that names nothing: a key that is let through must not change anything another test owns.
      const path = route.path.replace(':id', '2147483647');
      const withBody = route.method === 'GET' || route.method === 'DELETE' ? {} : { json: {} };
      const asKey = (key: string) => testApp.api.request<{ message: string }>(route.method, path, { ...withBody, token: key });
      const allScopes = await asKey(everyScope);
      if (route.apiKey === 'never' || (route.access !== 'public' && route.apiKey === 'closed')) {
        expect({ route, status: allScopes.status, message: allScopes.body.message }).toEqual({ route, status: 403, message: expect.stringMatching(/API keys/) });
      } else {
        // Public routes ignore a key; the others let a key with the scope through to the handler (a 404 or 422 here).
        expect({ route, status: allScopes.status, refused: [401, 403].includes(allScopes.status) }).toEqual({ route, status: allScopes.status, refused: false });
      }
      if (route.access !== 'public' && route.apiKey !== 'any' && route.apiKey !== 'never' && route.apiKey !== 'closed') {
        const lacking = await asKey(without[route.apiKey]);
        expect({ route, status: lacking.status, message: lacking.body.message }).toEqual({ route, status: 403, message: `This API key lacks the scope ${route.apiKey}` });
      }
    }
  });
});
