import pg from 'pg';
import type { ApiResponse } from './support/http';
import { type SignedIn, TestApp, signUp, signUpAdmin, startTestApp } from './support/test-app';

interface TokenPair {
  access_token: string;
  refresh_token: string;
}

/**
 * Revocation against requests already running, with the interleaving forced rather than hoped for: a
 * connection of the test's own holds the account row (`FOR UPDATE`, which also blocks the foreign-key
 * check of a token insert), the racing requests are started one after the other and each is seen
 * waiting on a lock (pg_blocking_pids) before the next starts, then the row is released. Before the
 * fix, a refresh blocked this way inserted its new token after the revocation had read the table, and
 * that token kept working.
 */
describe('token revocation cannot be raced', () => {
  let testApp: TestApp;
  let locker: pg.Client;
  let observer: pg.Client;

  beforeAll(async () => {
    testApp = await startTestApp();
    locker = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    observer = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await Promise.all([locker.connect(), observer.connect()]);
  });
  afterAll(async () => {
    await Promise.all([locker.end(), observer.end()]);
    await testApp.close();
  });

  /** Backends waiting, directly or behind another waiter, for the locker's transaction. */
  async function waitersBehindLocker(): Promise<number> {
    const lockerPid = (locker as unknown as { processID: number }).processID;
    const { rows } = await observer.query<{ pid: number; blockers: number[] }>(
      `SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    const behind = new Set([lockerPid]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const row of rows) {
        if (!behind.has(row.pid) && row.blockers.some((pid) => behind.has(pid))) {
          behind.add(row.pid);
          grew = true;
        }
      }
    }
    return behind.size - 1;
  }

  async function untilWaiting(count: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    while ((await waitersBehindLocker()) < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} requests waiting for the locked account row`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /**
   * Holds the account row, starts `first`, waits until it is blocked, starts `second`, waits until it
   * is blocked too, then releases the row. Both responses, in the order the requests were sent.
   */
  async function interleave<A, B>(userId: number, first: () => Promise<ApiResponse<A>>, second: () => Promise<ApiResponse<B>>): Promise<[ApiResponse<A>, ApiResponse<B>]> {
    await locker.query('BEGIN');
    try {
      await locker.query('SELECT 1 FROM app_user WHERE id = $1 FOR UPDATE', [userId]);
      const firstDone = first();
      await untilWaiting(1);
      const secondDone = second();
      await untilWaiting(2);
      await locker.query('COMMIT');
      return await Promise.all([firstDone, secondDone]);
    } catch (error) {
      await locker.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** What a refresh or login handed out (it queued first, so it got the row first and succeeded) must be dead: its refresh token and its access token. */
  async function expectSpent(refresh: ApiResponse<TokenPair>): Promise<void> {
    expect(refresh.status).toBe(200);
    expect((await testApp.api.post('/auth/refresh', { refresh_token: refresh.body.refresh_token })).status).toBe(401);
    expect((await testApp.api.as(refresh.body.access_token).get('/auth/me')).status).toBe(401);
  }

  const accountChanges: [string, (user: SignedIn, admin: SignedIn) => Promise<ApiResponse>, number][] = [
    ['a password change', (user) => user.api.post('/auth/me/password', { current_password: user.password, new_password: 'a brand new password' }), 204],
    ['logout-all', (user) => user.api.post('/auth/logout-all'), 204],
    ['a deactivation by an admin', (user, admin) => admin.api.patch(`/admin/users/${user.id}`, { active: false }), 200],
  ];

  it.each(accountChanges)('a refresh racing %s: the token it issued is refused afterwards', async (_change, change, status) => {
    const [user, admin] = await Promise.all([signUp(testApp, 'racer'), signUpAdmin(testApp)]);
    const [refresh, changed] = await interleave<TokenPair, unknown>(
      user.id,
      () => testApp.api.post<TokenPair>('/auth/refresh', { refresh_token: user.refreshToken }),
      () => change(user, admin),
    );
    expect(changed.status).toBe(status);
    await expectSpent(refresh);
  });

  it('a login with the old password racing a password change: its tokens are refused afterwards', async () => {
    const user = await signUp(testApp, 'racer');
    const [login, changed] = await interleave<TokenPair, unknown>(
      user.id,
      () => testApp.api.post<TokenPair>('/auth/login', { email: user.email, password: user.password }),
      () => user.api.post('/auth/me/password', { current_password: user.password, new_password: 'a brand new password' }),
    );
    expect(changed.status).toBe(204);
    await expectSpent(login);
  });

  it('logout racing a refresh of the same sign-in: the token the refresh issued is refused afterwards', async () => {
    const user = await signUp(testApp, 'racer');
    const [refresh, logout] = await interleave<TokenPair, unknown>(
      user.id,
      () => testApp.api.post<TokenPair>('/auth/refresh', { refresh_token: user.refreshToken }),
      () => testApp.api.post('/auth/logout', { refresh_token: user.refreshToken }),
    );
    expect(logout.status).toBe(204);
    expect(refresh.status).toBe(200);
    expect((await testApp.api.post('/auth/refresh', { refresh_token: refresh.body.refresh_token })).status).toBe(401);
  });

  it('reuse detection racing the legitimate refresh: the whole family ends, including the token issued meanwhile', async () => {
    const user = await signUp(testApp, 'racer');
    const first = await testApp.api.post<TokenPair>('/auth/refresh', { refresh_token: user.refreshToken });
    expect(first.status).toBe(200);
    const [legitimate, replay] = await interleave<TokenPair, unknown>(
      user.id,
      () => testApp.api.post<TokenPair>('/auth/refresh', { refresh_token: first.body.refresh_token }),
      () => testApp.api.post('/auth/refresh', { refresh_token: user.refreshToken }),
    );
    expect(replay.status).toBe(401);
    expect(legitimate.status).toBe(200);
    expect((await testApp.api.post('/auth/refresh', { refresh_token: legitimate.body.refresh_token })).status).toBe(401);
  });

  it('a refresh token issued before a password change is refused even where the revocation did not reach it (its version is stale)', async () => {
    const user = await signUp(testApp, 'racer');
    expect((await user.api.post('/auth/me/password', { current_password: user.password, new_password: 'a brand new password' })).status).toBe(204);
    // What a revocation that missed this token leaves behind: the row as if never revoked.
    await observer.query(`UPDATE refresh_token SET revoked_at = NULL WHERE user_id = $1`, [user.id]);
    expect((await testApp.api.post('/auth/refresh', { refresh_token: user.refreshToken })).status).toBe(401);
  });

  it('logout-all ends every sign-in of the account, its own access token included (204)', async () => {
    const user = await signUp(testApp, 'everywhere');
    const second = await testApp.api.post<TokenPair>('/auth/login', { email: user.email, password: user.password });
    expect(second.status).toBe(200);
    const out = await user.api.post('/auth/logout-all');
    expect(out.status).toBe(204);
    expect(out.text).toBe('');
    expect((await user.api.get('/auth/me')).status).toBe(401);
    expect((await testApp.api.as(second.body.access_token).get('/auth/me')).status).toBe(401);
    for (const token of [user.refreshToken, second.body.refresh_token]) {
      expect((await testApp.api.post('/auth/refresh', { refresh_token: token })).status).toBe(401);
    }
    // Signing in again works.
    expect((await testApp.api.post('/auth/login', { email: user.email, password: user.password })).status).toBe(200);
  });
});
