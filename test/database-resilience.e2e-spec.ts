import pg from 'pg';
import { DATABASE_POOL } from '@app/database';
import { TestApp, startTestApp } from './support/test-app';

describe('when the database closes idle connections', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp();
  });
  afterAll(() => testApp.close());

  // A database restart, a failover or Ctrl-C on the embedded server closes idle pooled connections;
  // unhandled, the pool's 'error' event would bring the whole process down.
  it('the service survives and the next request opens a new connection', async () => {
    const pool = testApp.app.get<pg.Pool>(DATABASE_POOL);
    const client = await pool.connect();
    const backendPid = (client as unknown as { processID: number }).processID;
    client.release();
    // The pool says when it drops a client ('remove'). Counting its clients instead raced with the service's
    // own background queries, which may open a connection meanwhile (CI saw the count stay at 5).
    const removed = new Promise<void>((resolve) => {
      const onRemove = (removedClient: pg.PoolClient) => {
        if ((removedClient as unknown as { processID: number }).processID !== backendPid) return;
        pool.off('remove', onRemove);
        resolve();
      };
      pool.on('remove', onRemove);
    });

    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    try {
      const terminated = await admin.query<{ ok: boolean }>('SELECT pg_terminate_backend($1) AS ok', [backendPid]);
      expect(terminated.rows[0].ok).toBe(true);
    } finally {
      await admin.end();
    }

    // No 'error' listener of the test's own here: the application's must handle the pool's 'error' event.
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([removed.then(() => 'removed'), new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still in the pool after 5 s'), 5_000)))]);
    clearTimeout(timer);
    expect(outcome).toBe('removed');
    const response = await testApp.api.get('/listings?limit=1');
    expect(response.status).toBe(200);
  });
});
