import http from 'node:http';
import pg from 'pg';
import { createSuiteDatabase, type TestDatabase } from './setup/test-database';
import { AppProcess, startAppProcess } from './support/app-process';
import { ApiClient } from './support/http';
import { aListing } from './support/listings';
import { countBy, outcomeOf, send } from './support/raw-http';

// An upper bound: the service exits as soon as it has drained (1 to 4 s here), but with many test
// workers on few cores fifty PUTs take longer to finish.
const SHUTDOWN_TIMEOUT_MS = 20_000;
const LISTINGS = 5;
const PUTS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * On a database of this file's own: the drill counts the service's sessions waiting for a lock, and
 * other files' instances (same application_name) wait for locks of their own on the run's database.
 */
describe('SIGTERM drill (the service as its own process)', () => {
  let database: TestDatabase;
  let service: AppProcess;
  let api: ApiClient;

  beforeAll(async () => {
    database = await createSuiteDatabase();
    service = await startAppProcess({
      databaseUrl: database.url,
      env: {
        LOG_LEVEL: 'log',
        SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
        DATABASE_POOL_SIZE: '10',
        // 50 PUTs wait for 10 connections behind row locks: they must not give up while waiting.
        DATABASE_ACQUIRE_TIMEOUT_MS: '20000',
      },
    });
    api = new ApiClient(service.baseUrl);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await database?.dispose();
  });

  it('every request it read is answered (PUTs 200, late ones 503 + Connection: close), idle keep-alive connections are closed, none reset; it exits 0 within SHUTDOWN_TIMEOUT_MS', async () => {
    // An owner and five listings.
    const email = `sigterm-${process.pid}-${Date.now().toString(36)}@example.test`;
    const password = 'correct horse battery staple';
    expect((await api.post('/auth/register', { email, password })).status).toBe(201);
    const token = (await api.post<{ access_token: string }>('/auth/login', { email, password })).body.access_token;
    const owner = api.as(token);
    const ids: number[] = [];
    for (let i = 0; i < LISTINGS; i += 1) ids.push((await owner.post<{ id: number }>('/listings', aListing())).body.id);

    // Contention, as in real life, keeps the PUTs in flight: the test holds the five rows' locks.
    const locker = new pg.Client({ connectionString: database.url });
    locker.on('error', () => undefined);
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM listing WHERE id = ANY($1) FOR UPDATE', [ids]);

    // Three keep-alive connections left idle, and fifty PUTs on fifty connections of their own.
    const idle = new http.Agent({ keepAlive: true, maxSockets: 3 });
    await Promise.all([0, 1, 2].map(() => send(service.baseUrl, idle, 'GET', '/health/live').response));
    const busy = new http.Agent({ keepAlive: true, maxSockets: PUTS });
    const prices = Array.from({ length: PUTS }, (_, i) => 200_000 + i);
    const puts = prices.map((price, i) => send(service.baseUrl, busy, 'PUT', `/listings/${ids[i % LISTINGS]}`, { json: aListing({ latest_price_eur: price }), token }));
    const outcomes = Promise.allSettled(puts.map((put) => put.response));
    await Promise.all(puts.map((put) => put.written));
    // Until the server has read them all: ten are blocked on the locks, forty wait for a connection.
    // (Asked on another connection: inside a transaction pg_stat_activity stays as it was first read.)
    const waiting = async () => {
      const observer = new pg.Client({ connectionString: database.url });
      await observer.connect();
      try {
        return Number(
          (await observer.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'listing-api' AND wait_event_type = 'Lock'")).rows[0].n,
        );
      } finally {
        await observer.end();
      }
    };
    for (let tries = 0; (await waiting()) < 10 && tries < 100; tries += 1) await sleep(50);
    expect(await waiting()).toBe(10);
    await sleep(300);

    let putsSettled = false;
    void outcomes.then(() => (putsSettled = true));
    const idleSockets = Object.values(idle.freeSockets).flat();
    const idleClosed = Promise.all(idleSockets.map((socket) => new Promise((resolve) => socket!.once('close', resolve))));

    const signalledAt = Date.now();
    process.kill(service.pid, 'SIGTERM');
    // The idle keep-alive connections are closed at once, while the PUTs are still held by the locks.
    const idleClosedFirst = await Promise.race([idleClosed.then(() => !putsSettled), sleep(10_000).then(() => false)]);

    // Requests that arrive late, on new connections: the listener is still open, and they are answered, not reset.
    const ready = await send(service.baseUrl, idle, 'GET', '/health/ready').response;
    const live = await send(service.baseUrl, idle, 'GET', '/health/live').response;
    const listings = await send(service.baseUrl, idle, 'GET', '/listings?limit=1').response;

    await sleep(500);
    await locker.query('ROLLBACK');
    const results = await outcomes;
    const exit = await service.exit;
    const exitMs = exit.at - signalledAt;

    const statuses = results.map(outcomeOf);
    const drained = /Drained in (\d+) ms: (\d+) of (\d+) requests in flight completed, (\d+) late requests answered 503/.exec(service.output());
    process.stdout.write(`[SIGTERM drill] PUTs: ${JSON.stringify(countBy(statuses))}; exit ${exit.code ?? exit.signal} ${exitMs} ms after SIGTERM; log: ${drained?.[0] ?? '(no drain line)'}\n`);

    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: 'shutting_down', message: 'Not ready: shutting down', info: {}, error: {}, details: {} });
    expect(live.status).toBe(200);
    expect(listings.status).toBe(503);
    expect(listings.headers['retry-after']).toMatch(/^\d+$/);
    expect({ idleSockets: idleSockets.length, idleClosedFirst }).toEqual({ idleSockets: 3, idleClosedFirst: true });
    for (const late of [ready, live, listings]) expect({ reused: late.reusedSocket, connection: late.headers.connection }).toEqual({ reused: false, connection: 'close' });

    expect(statuses).toEqual(Array(PUTS).fill('200'));
    for (const result of results) if (result.status === 'fulfilled') expect(result.value.headers.connection).toBe('close');
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exitMs).toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS);
    expect(drained).not.toBeNull();
    expect(Number(drained![2])).toBeGreaterThanOrEqual(PUTS);
    // The late GET /listings (the health routes answer for themselves).
    expect(Number(drained![4])).toBe(1);

    // Every acknowledged change is in the history.
    const history = await locker.query<{ listing_id: number; price_eur: string }>('SELECT listing_id, price_eur FROM listing_price WHERE listing_id = ANY($1)', [ids]);
    const recorded = new Set(history.rows.map((row) => `${row.listing_id}:${Number(row.price_eur)}`));
    expect(prices.filter((price, i) => !recorded.has(`${ids[i % LISTINGS]}:${price}`))).toEqual([]);
    await locker.end();
    idle.destroy();
    busy.destroy();
  }, 60_000);
});
