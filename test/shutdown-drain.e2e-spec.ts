import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createSuiteDatabase, type TestDatabase } from './setup/test-database';
import { ApiClient } from './support/http';
import { aListing } from './support/listings';
import { contractFor } from './support/openapi';
import { ProductionProcess, buildForProduction, startProduction } from './support/production-process';
import { RawResponse, countBy, outcomeOf, send } from './support/raw-http';

/**
 * Shutdown as an operator meets it (issue 20): `npm run start:prod` in a process group of its own,
 * signalled as a whole, as systemd's KillMode=control-group does, so npm and node both get the signal
 * (and npm passes it on: node sees it twice). Before, 51 of 60 connections whose requests were written
 * 15 ms before SIGTERM were reset: the listener closed at once, with them in its accept queue.
 */
// An upper bound for a loaded 2-core machine; the service exits as soon as it has drained.
const SHUTDOWN_TIMEOUT_MS = 20_000;
const CONNECTIONS = 60;
const SHUTTING_DOWN = { message: 'The service is shutting down: retry the request' };

describe('SIGTERM to the process group of npm run start:prod', () => {
  let build: string;
  let database: TestDatabase;
  let db: pg.Pool;
  const started: ProductionProcess[] = [];

  const start = async (env: Record<string, string> = {}) => {
    const service = await startProduction(build, {
      databaseUrl: database.url,
      env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), DATABASE_POOL_SIZE: '10', DATABASE_ACQUIRE_TIMEOUT_MS: '20000', ...env },
    });
    started.push(service);
    // Loaded now: the responses are checked against it, and it cannot be read once the service is draining.
    await contractFor(service.baseUrl);
    return service;
  };
  const signIn = async (api: ApiClient, name: string) => {
    const email = `${name}-${process.pid}-${Date.now().toString(36)}@example.test`;
    const password = 'correct horse battery staple';
    expect((await api.post('/auth/register', { email, password })).status).toBe(201);
    return (await api.post<{ access_token: string }>('/auth/login', { email, password })).body.access_token;
  };
  /** Waits for npm's exit, then checks that nothing of the group is left (node exited too). */
  const exitOf = async (service: ProductionProcess, signalledAt: number) => {
    const exit = await service.exit;
    for (let tries = 0; service.groupAlive() && tries < 50; tries += 1) await sleep(100);
    return { code: exit.code, signal: exit.signal, groupGone: !service.groupAlive(), ms: exit.at - signalledAt };
  };

  beforeAll(async () => {
    [build, database] = await Promise.all([buildForProduction(), createSuiteDatabase()]);
    db = new pg.Pool({ connectionString: database.url, max: 2 });
  }, 300_000);

  afterAll(async () => {
    for (const service of started) await service.stop();
    await db?.end();
    await database?.dispose();
  });

  it(`${CONNECTIONS} requests written 15 ms before SIGTERM: each is answered 200/201 or 503 with Retry-After, none reset; a 503 changed nothing; exit 0`, async () => {
    const service = await start();
    const api = new ApiClient(service.baseUrl);
    const token = await signIn(api, 'drain');
    const owner = api.as(token);
    const ids: number[] = [];
    for (let i = 0; i < 10; i += 1) ids.push((await owner.post<{ id: number }>('/listings', aListing())).body.id);

    // Reads, price changes and creations with an Idempotency-Key, each on a connection of its own.
    const marker = `drain-${process.pid}-${Date.now().toString(36)}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    const requests = Array.from({ length: CONNECTIONS }, (_, i) => {
      const listingId = ids[i % ids.length];
      if (i % 3 === 0) return { kind: 'GET', listingId, sent: send(service.baseUrl, agent, 'GET', `/listings/${listingId}`) };
      if (i % 3 === 1) {
        const price = 300_000 + i;
        return { kind: 'PUT', listingId, price, sent: send(service.baseUrl, agent, 'PUT', `/listings/${listingId}`, { json: aListing({ latest_price_eur: price }), token }) };
      }
      const key = `${marker}-${i}`;
      const body = aListing({ name: key });
      return { kind: 'POST', key, body, sent: send(service.baseUrl, agent, 'POST', '/listings', { json: body, token, headers: { 'idempotency-key': key } }) };
    });
    const settled = Promise.allSettled(requests.map((request) => request.sent.response));
    await Promise.all(requests.map((request) => request.sent.written));
    await sleep(15);
    const signalledAt = Date.now();
    service.signalGroup('SIGTERM');

    const results = await settled;
    const exit = await exitOf(service, signalledAt);
    agent.destroy();
    const outcomes = results.map(outcomeOf);
    const drained = /Drained in (\d+) ms: (\d+) of (\d+) requests in flight completed, (\d+) late requests answered 503/.exec(service.output());
    process.stdout.write(
      `[drain drill] ${CONNECTIONS} connections: ${JSON.stringify(countBy(outcomes))}; npm exit ${exit.code ?? exit.signal} ${exit.ms} ms after SIGTERM; log: ${drained?.[0] ?? '(no drain line)'}\n`,
    );

    expect(outcomes.filter((outcome) => !['200', '201', '503'].includes(outcome))).toEqual([]);
    const answers = results.map((result) => (result as PromiseFulfilledResult<RawResponse>).value);
    for (const [i, answer] of answers.entries()) {
      if (answer.status === 503) {
        expect({ body: answer.body, retryAfter: answer.headers['retry-after'], connection: answer.headers.connection }).toEqual({ body: SHUTTING_DOWN, retryAfter: '5', connection: 'close' });
      } else {
        expect(answer.status).toBe(requests[i].kind === 'POST' ? 201 : 200);
      }
    }
    expect(exit).toMatchObject({ code: 0, signal: null, groupGone: true });
    expect(exit.ms).toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS);
    // No check here that npm's forwarded SIGTERM was logged as ignored: it reaches node within microseconds of the
    // group's, and the kernel merges a signal that arrives while the same one is still pending (a CI run saw one
    // line, not two). The test below sends its second signal once the drain has begun, and checks that.

    // What a client concludes from each answer holds: a 2xx change is stored, a 503 one is not.
    const prices = await db.query<{ listing_id: number; price_eur: string }>('SELECT listing_id, price_eur FROM listing_price WHERE listing_id = ANY($1)', [ids]);
    const recorded = new Set(prices.rows.map((row) => `${row.listing_id}:${Number(row.price_eur)}`));
    const created = new Set((await db.query<{ name: string }>('SELECT name FROM listing WHERE name LIKE $1', [`${marker}-%`])).rows.map((row) => row.name));
    const stored = requests.map((request) => (request.kind === 'PUT' ? recorded.has(`${request.listingId}:${request.price}`) : request.kind === 'POST' ? created.has(request.key!) : undefined));
    expect(requests.map((request, i) => (request.kind === 'GET' ? undefined : answers[i].status < 300))).toEqual(stored);

    // A client retries its refused creations, with the same key, on the next instance: each exists once.
    const next = await start();
    const refusedPosts = requests.filter((request, i) => request.kind === 'POST' && answers[i].status === 503);
    for (const request of refusedPosts) {
      const retried = await new ApiClient(next.baseUrl, token).post('/listings', request.body, { headers: { 'idempotency-key': request.key! } });
      expect(retried.status).toBe(201);
    }
    const perKey = await db.query<{ name: string; n: string }>('SELECT name, count(*) AS n FROM listing WHERE name LIKE $1 GROUP BY name', [`${marker}-%`]);
    expect(perKey.rows.length).toBe(requests.filter((request) => request.kind === 'POST').length);
    expect(perKey.rows.filter((row) => row.n !== '1')).toEqual([]);
  }, 120_000);

  it('SHUTDOWN_DELAY_MS: meanwhile readiness is 503 and requests are served (Connection: close), idle keep-alive connections are closed; then it drains and exits 0', async () => {
    const service = await start({ SHUTDOWN_DELAY_MS: '6000' });
    // A keep-alive connection left idle before the signal.
    const idle = new http.Agent({ keepAlive: true, maxSockets: 1 });
    expect((await send(service.baseUrl, idle, 'GET', '/health/live').response).status).toBe(200);
    const idleSocket = Object.values(idle.freeSockets).flat()[0]!;
    const idleClosed = new Promise<void>((resolve) => idleSocket.once('close', () => resolve()));

    const signalledAt = Date.now();
    service.signalGroup('SIGTERM');
    const fresh = () => send(service.baseUrl, new http.Agent(), 'GET', '/listings?limit=1').response;
    let ready: RawResponse | undefined;
    for (let tries = 0; tries < 250 && ready?.status !== 503; tries += 1) {
      ready = await send(service.baseUrl, new http.Agent(), 'GET', '/health/ready').response;
      if (ready.status !== 503) await sleep(20);
    }
    const during = await fresh();
    const idleWasClosed = await Promise.race([idleClosed.then(() => true), sleep(10_000).then(() => false)]);

    // Once the delay is over: 503 while the listener is open, refused once it has closed (nothing is in flight).
    let after = '200';
    for (let tries = 0; tries < 300; tries += 1) {
      after = await fresh().then(
        (answer) => (answer.status === 503 && answer.headers['retry-after'] === '5' ? '503' : String(answer.status)),
        (error: NodeJS.ErrnoException) => `error ${error.code ?? error.message}`,
      );
      if (after !== '200') break;
      await sleep(100);
    }
    const exit = await exitOf(service, signalledAt);
    process.stdout.write(`[drain drill] SHUTDOWN_DELAY_MS=6000: after the delay ${after}; npm exit ${exit.code ?? exit.signal} ${exit.ms} ms after SIGTERM\n`);

    expect(ready!.status).toBe(503);
    expect({ status: during.status, connection: during.headers.connection }).toEqual({ status: 200, connection: 'close' });
    expect(idleWasClosed).toBe(true);
    expect(['503', 'error ECONNREFUSED']).toContain(after);
    expect(exit).toMatchObject({ code: 0, signal: null, groupGone: true });
    expect(exit.ms).toBeGreaterThanOrEqual(6000);
    expect(exit.ms).toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS);
    expect(service.output()).toMatch(/serving as usual for SHUTDOWN_DELAY_MS \(6000 ms\)/);
  }, 120_000);

  it('a second SIGTERM (and a SIGINT) during the drain change nothing: the request in flight finishes, new ones get 503, exit 0', async () => {
    const service = await start();
    const token = await signIn(new ApiClient(service.baseUrl), 'second-signal');
    const listingId = (await new ApiClient(service.baseUrl, token).post<{ id: number }>('/listings', aListing())).body.id;

    // The test holds the listing's row lock, so the PUT stays in flight for as long as it likes.
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM listing WHERE id = $1 FOR UPDATE', [listingId]);
    const put = send(service.baseUrl, new http.Agent(), 'PUT', `/listings/${listingId}`, { json: aListing({ latest_price_eur: 123_456 }), token }).response;
    const lockWaiters = async () =>
      Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'listing-api' AND wait_event_type = 'Lock'")).rows[0].n);
    for (let tries = 0; (await lockWaiters()) < 1 && tries < 200; tries += 1) await sleep(50);
    expect(await lockWaiters()).toBe(1);

    const signalledAt = Date.now();
    service.signalGroup('SIGTERM');
    const ignored = () => service.output().match(/again while shutting down: ignored/g)?.length ?? 0;
    for (let tries = 0; !/: draining;/.test(service.output()) && tries < 200; tries += 1) await sleep(50);
    const before = ignored();
    service.signalGroup('SIGTERM');
    service.signalGroup('SIGINT');
    for (let tries = 0; ignored() < before + 2 && tries < 200; tries += 1) await sleep(50);
    const ignoredBoth = ignored() >= before + 2;
    // Still draining: a new connection is accepted and answered 503.
    const late = await send(service.baseUrl, new http.Agent(), 'GET', '/listings?limit=1').response;

    await locker.query('ROLLBACK');
    await locker.end();
    const answer = await put;
    const exit = await exitOf(service, signalledAt);

    expect(ignoredBoth).toBe(true);
    expect({ status: late.status, body: late.body, connection: late.headers.connection }).toEqual({ status: 503, body: SHUTTING_DOWN, connection: 'close' });
    expect(answer.status).toBe(200);
    expect(exit).toMatchObject({ code: 0, signal: null, groupGone: true });
    expect(exit.ms).toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS);
    const history = await db.query('SELECT 1 FROM listing_price WHERE listing_id = $1 AND price_eur = 123456', [listingId]);
    expect(history.rowCount).toBe(1);
  }, 120_000);
});
