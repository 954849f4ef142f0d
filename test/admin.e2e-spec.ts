import { encodeCursor } from '@app/common';
import { type ApiResponse, nextPageUrl } from './support/http';
import { Listing, aListing } from './support/listings';
import { SignedIn, TestApp, signIn, signUp, signUpAdmin, startTestApp } from './support/test-app';

interface AdminUser {
  id: number;
  email: string;
  role: string;
  active: boolean;
}

describe('admin', () => {
  let testApp: TestApp;
  let admin: SignedIn;
  let user: SignedIn;

  beforeAll(async () => {
    testApp = await startTestApp();
    [admin, user] = await Promise.all([signUpAdmin(testApp), signUp(testApp)]);
  });
  afterAll(() => testApp.close());

  it('admin routes are 403 for a signed-in user and 401 without a token', async () => {
    expect((await user.api.get('/admin/users')).status).toBe(403);
    expect((await user.api.patch(`/admin/users/${user.id}`, { role: 'ADMIN' })).status).toBe(403);
    expect((await user.api.put('/admin/listings/1/owner', { owner_id: user.id })).status).toBe(403);
    expect((await testApp.api.get('/admin/users')).status).toBe(401);
    expect((await user.api.get('/admin/users')).body).toEqual({ message: 'This operation is reserved to administrators' });
  });

  it('GET /admin/users pages through every account with its role and status', async () => {
    const first = await admin.api.get<AdminUser[]>('/admin/users?limit=1');
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(1);
    expect(first.body[0]).toEqual({ id: expect.any(Number), email: expect.any(String), role: expect.any(String), active: expect.any(Boolean), created_date: expect.any(String) });
    expect(first.headers.get('link')).toMatch(/^<\/admin\/users\?limit=1&cursor=/);
    // Other files register accounts too: page on from just before this file's two, until past both.
    const seen: AdminUser[] = [];
    let path: string | undefined = `/admin/users?limit=200&cursor=${encodeCursor({ id: Math.min(admin.id, user.id) - 1 })}`;
    while (path && !seen.some((u) => u.id >= Math.max(admin.id, user.id))) {
      const page: ApiResponse<AdminUser[]> = await admin.api.get<AdminUser[]>(path);
      expect(page.status).toBe(200);
      seen.push(...page.body);
      path = nextPageUrl(page);
    }
    expect(seen.map((u) => u.id)).toEqual([...seen.map((u) => u.id)].sort((a, b) => a - b));
    expect(seen.filter((u) => u.id === admin.id || u.id === user.id)).toEqual(
      [
        { id: admin.id, email: admin.email, role: 'ADMIN', active: true, created_date: expect.any(String) },
        { id: user.id, email: user.email, role: 'USER', active: true, created_date: expect.any(String) },
      ].sort((a, b) => a.id - b.id),
    );
  });

  it('deactivation takes effect on the next request: token rejected, login refused', async () => {
    const victim = await signUp(testApp);
    const patched = await admin.api.patch<AdminUser>(`/admin/users/${victim.id}`, { active: false });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: victim.id, active: false });

    expect((await victim.api.get('/auth/me')).status).toBe(401);
    expect((await testApp.api.post('/auth/refresh', { refresh_token: victim.refreshToken })).status).toBe(401);
    expect((await testApp.api.post('/auth/login', { email: victim.email, password: victim.password })).status).toBe(401);

    await admin.api.patch(`/admin/users/${victim.id}`, { active: true });
    expect((await testApp.api.post('/auth/login', { email: victim.email, password: victim.password })).status).toBe(200);
  });

  it('a role change takes effect on the next request: old tokens stop working, new ones carry the role', async () => {
    const promoted = await signUp(testApp);
    expect((await admin.api.patch(`/admin/users/${promoted.id}`, { role: 'ADMIN' })).status).toBe(200);
    expect((await promoted.api.get('/admin/users')).status).toBe(401);

    const again = await signIn(testApp, promoted.email, promoted.password, promoted.id);
    expect((await again.api.get('/admin/users')).status).toBe(200);

    expect((await admin.api.patch(`/admin/users/${promoted.id}`, { role: 'USER' })).status).toBe(200);
    expect((await again.api.get('/admin/users')).status).toBe(401);
    const demoted = await signIn(testApp, promoted.email, promoted.password, promoted.id);
    expect((await demoted.api.get('/admin/users')).status).toBe(403);
  });

  it('an admin cannot lock themselves out', async () => {
    const response = await admin.api.patch(`/admin/users/${admin.id}`, { active: false });
    expect(response.status).toBe(409);
    expect((await admin.api.get('/auth/me')).status).toBe(200);
  });

  it.each([
    [{ role: 'ROOT' }, 'role'],
    [{ active: 'no' }, 'active'],
    [{ role: null }, 'role'],
    [{ active: null }, 'active'],
    [{ email: 'x@example.test' }, 'email'],
  ])('PATCH /admin/users with %j is a 422', async (body, field) => {
    const response = await admin.api.patch<{ errors: { field: string }[] }>(`/admin/users/${user.id}`, body);
    expect(response.status).toBe(422);
    expect(response.body.errors).toContainEqual(expect.objectContaining({ field }));
  });

  it('PATCH on an unknown user is a 404', async () => {
    expect((await admin.api.patch('/admin/users/2147483000', { active: true })).status).toBe(404);
  });

  it('PUT /admin/listings/{id}/owner gives the listing to another account, which can then change it', async () => {
    const body = aListing();
    const created = await admin.api.post<Listing>('/listings', body);
    expect((await user.api.put(`/listings/${created.body.id}`, body)).status).toBe(403);

    const moved = await admin.api.put(`/admin/listings/${created.body.id}/owner`, { owner_id: user.id });
    expect(moved.status).toBe(200);
    expect(moved.body).toEqual({ id: created.body.id, owner_id: user.id });
    expect((await user.api.put(`/listings/${created.body.id}`, body)).status).toBe(200);
    expect((await user.api.get<Listing[]>('/auth/me/listings?limit=200')).body.map((l) => l.id)).toContain(created.body.id);
  });

  it('moving a listing to an unknown account is a 422, to an unknown listing a 404', async () => {
    const created = await admin.api.post<Listing>('/listings', aListing());
    expect((await admin.api.put(`/admin/listings/${created.body.id}/owner`, { owner_id: 2147483000 })).status).toBe(422);
    expect((await admin.api.put('/admin/listings/2147483000/owner', { owner_id: user.id })).status).toBe(404);
    expect((await admin.api.put(`/admin/listings/${created.body.id}/owner`, { owner_id: 'me' })).status).toBe(422);
  });
});
