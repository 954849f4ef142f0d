/**
 * What the shutdown drain (libs/health's HttpDrain) costs every request while nothing is shutting down,
 * in CPU µs (process.cpuUsage, so time spent waiting for a core does not count). The per-request work
 * is run directly, many times, against the same loop without it, so that a fraction of a µs is not
 * lost in the noise of a loaded machine (a whole Fastify request varies by tens of µs here):
 * - per request: the raw server's 'request' event (ConnectionTracker's listener), HttpDrain's two Fastify
 *   hooks called the way Fastify calls them, and the response's 'close' event;
 * - per connection: the 'connection' event (ConnectionTracker's listener) and the socket's 'close'.
 *
 *   npm run bench:drain [-- --rounds 10 --requests 200000]
 */
import './lib/app-aliases';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { parseArgs } from 'node:util';
import type { HttpAdapterHost } from '@nestjs/core';
import { HttpDrain } from '../libs/health/src/http-drain';

type Hook = (...args: unknown[]) => unknown;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
/** CPU time (user + system) of this process since `started`, in µs per item. */
const micros = (started: NodeJS.CpuUsage, count: number) => {
  const used = process.cpuUsage(started);
  return (used.user + used.system) / count;
};

/** A raw server with (or without) HttpDrain installed, and its hooks as Fastify would have received them. */
function installed(withDrain: boolean): { server: http.Server; hooks: Hook[] } {
  const server = new http.Server();
  const hooks: Hook[] = [];
  const fastify = { server, addHook: (_name: string, hook: Hook) => hooks.push(hook) };
  if (withDrain) new HttpDrain({ httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost).onModuleInit();
  return { server, hooks };
}

/** `count` requests' worth of the events and hook calls, on one connection; µs per request. */
async function requests({ server, hooks }: ReturnType<typeof installed>, socket: EventEmitter, count: number): Promise<number> {
  const done = () => undefined;
  const started = process.cpuUsage();
  for (let i = 0; i < count; i += 1) {
    const response = new EventEmitter();
    const reply: Record<string, unknown> = { raw: response };
    reply.header = reply.code = reply.send = () => reply;
    const request = { url: '/listings/1', raw: { httpVersionMajor: 1, socket } };
    server.emit('request', { socket }, response);
    // Fastify calls each hook with a `done` callback; a hook returning a promise is awaited instead.
    for (const hook of hooks) {
      const result = hook.length === 4 ? hook(request, reply, undefined, done) : hook(request, reply, done);
      if (result instanceof Promise) await result;
    }
    response.emit('close');
  }
  return micros(started, count);
}

function connections(server: http.Server, count: number): number {
  const started = process.cpuUsage();
  for (let i = 0; i < count; i += 1) {
    const socket = Object.assign(new EventEmitter(), { bytesRead: 0 });
    server.emit('connection', socket);
    socket.emit('close');
  }
  return micros(started, count);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '10' }, requests: { type: 'string', default: '200000' } } });
  const rounds = Number(values.rounds);
  const count = Number(values.requests);
  const bare = installed(false);
  const drain = installed(true);
  const socket = Object.assign(new EventEmitter(), { bytesRead: 0 });
  // Known to the tracker, like the connection a request arrives on.
  drain.server.emit('connection', socket);
  if (drain.hooks.length !== 2 || drain.server.listenerCount('request') !== 1) throw new Error('HttpDrain did not install its two hooks and its request listener');

  const perRequest: number[] = [];
  const perConnection: number[] = [];
  await requests(bare, socket, count / 4);
  await requests(drain, socket, count / 4);
  for (let i = 0; i < rounds; i += 1) {
    // Alternate which goes first, so that a trend in the machine's load favours neither.
    let withDrain: number;
    let without: number;
    if (i % 2 === 0) {
      withDrain = await requests(drain, socket, count);
      without = await requests(bare, socket, count);
    } else {
      without = await requests(bare, socket, count);
      withDrain = await requests(drain, socket, count);
    }
    perRequest.push(withDrain - without);
    perConnection.push(connections(drain.server, count) - connections(bare.server, count));
  }
  const list = (figures: number[]) => figures.map((v) => v.toFixed(2)).join(' ');
  process.stdout.write(
    `HttpDrain's cost while serving, CPU µs (${rounds} rounds of ${count}; median, then each round):\n` +
      `  per request:    ${median(perRequest).toFixed(2)} µs  (${list(perRequest)})\n` +
      `  per connection: ${median(perConnection).toFixed(2)} µs  (${list(perConnection)})\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
