import { declaredRoutes } from './support/routes';
import { SignedIn, TestApp, signUp, startTestApp } from './support/test-app';

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
