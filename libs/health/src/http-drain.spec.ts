import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { HttpAdapterHost } from '@nestjs/core';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterPendingInput } from './connection-tracker';
import { HttpDrain } from './http-drain';

/**
 * HttpDrain on a real Fastify server on loopback (no Nest application: the drain only needs the
 * Fastify instance). A route answers when the test says so, which keeps a request in flight.
 */
describe('HttpDrain', () => {
  let fastify: FastifyInstance;
  let drain: HttpDrain;
  let port: number;
  let release: () => void;
  let held: Promise<void>;

  beforeEach(async () => {
    held = new Promise((resolve) => (release = resolve));
    fastify = Fastify();
    fastify.get('/slow', async () => {
      await held;
      return { done: true };
    });
    fastify.get('/fast', () => ({ done: true }));
    fastify.get('/health/live', () => ({ status: 'ok' }));
    drain = new HttpDrain({ httpAdapter: { getInstance: () => fastify } } as unknown as HttpAdapterHost);
    drain.onModuleInit();
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    port = (fastify.server.address() as AddressInfo).port;
  });

  afterEach(async () => {
    release();
    fastify.server.closeAllConnections();
    await fastify.close().catch(() => undefined);
  });

  /** A request on a connection of its own, written by hand: what came back, or the socket error. */
  const exchange = (path: string, socket = net.connect(port, '127.0.0.1')) =>
    new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`));
      socket.once('close', () => resolve(text));
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
    });
  const statusLine = (text: string) => text.split('\r\n')[0];
  const get = (path: string, agent: http.Agent) =>
    new Promise<http.IncomingMessage>((resolve, reject) => http.get({ host: '127.0.0.1', port, path, agent }, (res) => res.resume().once('end', () => resolve(res))).once('error', reject));

  it('serves as usual once not ready (the delay), but closes each connection after its response and the idle keep-alive ones at once', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    await get('/fast', agent);
    const [idle] = Object.values(agent.freeSockets).flat();
    const idleClosed = new Promise((resolve) => idle!.once('close', resolve));

    expect(await drain.leave()).toBe(1);
    await idleClosed;
    expect(drain.isShuttingDown).toBe(true);
    const answer = await exchange('/fast');
    expect(statusLine(answer)).toBe('HTTP/1.1 200 OK');
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    agent.destroy();
  });

  it('keeps the listener open while a request is in flight: a new connection gets 503 + Retry-After + Connection: close, health routes answer; then the listener closes', async () => {
    const slow = exchange('/slow');
    while (drain && (await connectionCount()) === 0) await afterPendingInput();
    await drain.leave();
    const report = drain.drain(Date.now() + 10_000);

    const late = await exchange('/fast');
    const live = await exchange('/health/live');
    expect(fastify.server.listening).toBe(true);
    release();
    const done = await report;

    expect(statusLine(await slow)).toBe('HTTP/1.1 200 OK');
    expect(statusLine(late)).toBe('HTTP/1.1 503 Service Unavailable');
    expect(late).toMatch(/\r\nretry-after: 5\r\n/i);
    expect(late).toMatch(/\r\nconnection: close\r\n/i);
    expect(late).toContain('{"message":"The service is shutting down: retry the request"}');
    expect(statusLine(live)).toBe('HTTP/1.1 200 OK');
    expect(fastify.server.listening).toBe(false);
    expect(done).toMatchObject({ inFlight: 1, completed: 1, refused: 1, cut: 0 });
  });

  it('a connection in the middle of sending its request is not taken for an unused one: its request is answered, not cut', async () => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const closed = new Promise<string>((resolve) => {
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code}`));
      socket.once('close', () => resolve(text));
    });
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET /fast HTTP/1.1\r\nHost: x\r\n');
    while ((await connectionCount()) === 0) await afterPendingInput();
    await afterPendingInput();
    await drain.leave();
    const report = drain.drain(Date.now() + 10_000);
    // Long enough for the drain to close the listener and look for unused connections.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(fastify.server.listening).toBe(false);
    socket.write('Connection: keep-alive\r\n\r\n');

    expect(statusLine(await closed)).toBe('HTTP/1.1 503 Service Unavailable');
    expect(await report).toMatchObject({ refused: 1, cut: 0 });
  });

  it('cuts what is still in flight at the deadline, and says so', async () => {
    const slow = exchange('/slow');
    while ((await connectionCount()) === 0) await afterPendingInput();
    await drain.leave();
    const report = await drain.drain(Date.now() + 300);

    expect(report).toMatchObject({ inFlight: 1, completed: 0, cut: 1 });
    expect(await slow).toBe('');
    expect(fastify.server.listening).toBe(false);
  });

  const connectionCount = () => new Promise<number>((resolve) => fastify.server.getConnections((_error, count) => resolve(count)));
});
