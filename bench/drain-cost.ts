/**
 * What the shutdown drain (libs/health's HttpDrain) costs every request while nothing is shutting down,
 * in CPU µs (process.cpuUsage), measured in three parts so that a few µs are not lost in the noise of a loaded machine:
 * - its two Fastify hooks: `fastify.inject` of one route on two instances, one with HttpDrain installed,
 *   interleaved rounds, median of the per-round differences;
 * - ConnectionTracker's listener on the raw server's 'request' event (and the response's 'close');
 * - its listener on 'connection' (and the socket's 'close'), paid once per connection.
 * The last two are timed against the same events with no listener.
 *
 *   npm run bench:drain [-- --rounds 10 --requests 20000]
 */
import './lib/app-aliases';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { parseArgs } from 'node:util';
import type { HttpAdapterHost } from '@nestjs/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { ConnectionTracker } from '../libs/health/src/connection-tracker';
import { HttpDrain } from '../libs/health/src/http-drain';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
/** CPU time (user + system) of this process since `started`, in µs per item: time spent waiting for a core does not count. */
const micros = (started: NodeJS.CpuUsage, count: number) => {
  const used = process.cpuUsage(started);
  return (used.user + used.system) / count;
};

function appWith(drain: boolean): FastifyInstance {
  const fastify = Fastify();
  fastify.get('/listings/:id', () => ({ id: 1, name: 'A listing', latest_price_eur: 100_000 }));
  if (drain) new HttpDrain({ httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost).onModuleInit();
  return fastify;
}

async function injectRound(fastify: FastifyInstance, requests: number): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < requests; i += 1) await fastify.inject({ method: 'GET', url: '/listings/1' });
  return micros(started, requests);
}

/** `count` requests through the raw server's events, on one connection (what the tracker listens to). */
function requestEvents(server: http.Server, socket: EventEmitter, count: number): number {
  const request = { socket } as unknown as http.IncomingMessage;
  const started = process.cpuUsage();
  for (let i = 0; i < count; i += 1) {
    const response = new EventEmitter();
    server.emit('request', request, response);
    response.emit('close');
  }
  return micros(started, count);
}

function connectionEvents(server: http.Server, count: number): number {
  const started = process.cpuUsage();
  for (let i = 0; i < count; i += 1) {
    const socket = Object.assign(new EventEmitter(), { bytesRead: 0 });
    server.emit('connection', socket);
    socket.emit('close');
  }
  return micros(started, count);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, requests: { type: 'string', default: '20000' } } });
  const rounds = Number(values.rounds);
  const requests = Number(values.requests);

  const apps = { bare: appWith(false), drain: appWith(true) };
  await Promise.all([apps.bare.ready(), apps.drain.ready()]);
  const hooks: Record<'bare' | 'drain', number[]> = { bare: [], drain: [] };
  await injectRound(apps.bare, 2_000);
  await injectRound(apps.drain, 2_000);
  for (let i = 0; i < rounds; i += 1) {
    // Alternate which goes first, so that a trend in the machine's load favours neither.
    for (const name of i % 2 === 0 ? (['bare', 'drain'] as const) : (['drain', 'bare'] as const)) hooks[name].push(await injectRound(apps[name], requests));
  }
  const hookDiffs = hooks.drain.map((value, j) => value - hooks.bare[j]);

  // Plain http.Server objects, never listening: only their events are used.
  const plain = new http.Server();
  const tracked = new http.Server();
  new ConnectionTracker(tracked);
  const socket = new EventEmitter();
  tracked.emit('connection', Object.assign(socket, { bytesRead: 0 }));
  const events = { request: [] as number[], connection: [] as number[] };
  requestEvents(plain, socket, 50_000);
  requestEvents(tracked, socket, 50_000);
  for (let i = 0; i < rounds; i += 1) {
    events.request.push(requestEvents(tracked, socket, 200_000) - requestEvents(plain, socket, 200_000));
    events.connection.push(connectionEvents(tracked, 200_000) - connectionEvents(plain, 200_000));
  }

  const list = (values: number[]) => values.map((v) => v.toFixed(2)).join(' ');
  process.stdout.write(
    `HttpDrain's cost while serving (${rounds} rounds; CPU µs, one core):\n` +
      `  Fastify hooks, per request:         ${median(hookDiffs).toFixed(2)} µs  (inject ${median(hooks.bare).toFixed(1)} µs bare, ${median(hooks.drain).toFixed(1)} µs with HttpDrain; per-round differences: ${list(hookDiffs)})\n` +
      `  request listener, per request:      ${median(events.request).toFixed(2)} µs  (rounds: ${list(events.request)})\n` +
      `  connection listener, per connection: ${median(events.connection).toFixed(2)} µs  (rounds: ${list(events.connection)})\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
