import type { Server } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrorBody, RETRY_AFTER_SECONDS, isHealthRoute } from '@app/common';

/** What a drain did, for the shutdown log. */
export interface DrainReport {
  /** Requests being handled when the drain began. */
  inFlight: number;
  /** Of those, the ones that finished (with whatever status their handler gave). */
  completed: number;
  /** Requests that arrived during the drain on connections already open: answered 503. */
  refused: number;
  /** Connections still open at the deadline, closed with whatever they were doing. */
  cut: number;
  elapsedMs: number;
}

/**
 * Graceful shutdown of the HTTP side. `drain()` stops accepting connections at once, lets every
 * request already received finish, and answers any request that still arrives on an open keep-alive
 * connection with 503, Retry-After and `Connection: close`; every response sent during the drain
 * closes its connection once it is the last request on it. It returns once every connection is gone,
 * or at the deadline.
 *
 * Idle keep-alive connections are not closed at the start (Node's `server.close()` would): a request a
 * client is sending on one at that moment would meet a reset. They get a 503 instead, and whatever is
 * still idle once the in-flight requests are done is closed then. Nest's `app.close()` cannot do this
 * itself: it runs the modules' destroy hooks (which end the database pool) before it closes the HTTP
 * server, so requests in flight would lose their database.
 */
@Injectable()
export class HttpDrain implements OnModuleInit {
  private draining = false;
  private inFlight = 0;
  private readonly perSocket = new WeakMap<Socket, number>();
  private onIdle: (() => void) | undefined;
  private report = { inFlight: 0, completed: 0, refused: 0 };

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  get isDraining(): boolean {
    return this.draining;
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      this.track(request, reply);
      // Health routes keep answering during a drain: liveness stays 200, readiness says it is shutting down.
      if (this.draining && !isHealthRoute(request.url)) {
        this.report.refused += 1;
        const body: ApiErrorBody = { message: 'The service is shutting down: retry the request' };
        return reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send(body);
      }
    });
    fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply) => {
      // The last request on a connection closes it; earlier pipelined ones leave it to the last.
      if (this.draining && request.raw.httpVersionMajor === 1 && (this.perSocket.get(request.raw.socket) ?? 0) <= 1) {
        void reply.header('connection', 'close');
      }
    });
  }

  /** Drains within `timeoutMs` (see the class comment). Call once. */
  async drain(timeoutMs: number): Promise<DrainReport> {
    const started = Date.now();
    const deadline = started + timeoutMs;
    this.draining = true;
    this.report.inFlight = this.inFlight;
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    const listening = server.listening;
    const closed = listening ? new Promise<void>((resolve) => server.once('close', () => resolve())) : Promise.resolve();
    // net.Server's close: stop accepting, but leave idle keep-alive connections open (see above).
    if (listening) NetServer.prototype.close.call(server);

    if (this.inFlight > 0) await within(new Promise<void>((resolve) => (this.onIdle = resolve)), deadline);
    server.closeIdleConnections();
    let cut = 0;
    if (!(await within(closed, deadline))) {
      cut = await connectionCount(server);
      server.closeAllConnections();
    }
    return { ...this.report, cut, elapsedMs: Date.now() - started };
  }

  private track(request: FastifyRequest, reply: FastifyReply): void {
    const socket = request.raw.socket;
    const arrivedDraining = this.draining;
    this.inFlight += 1;
    this.perSocket.set(socket, (this.perSocket.get(socket) ?? 0) + 1);
    // 'close' comes after the response is sent, and also when the client goes away before it is.
    reply.raw.once('close', () => {
      this.inFlight -= 1;
      this.perSocket.set(socket, (this.perSocket.get(socket) ?? 1) - 1);
      if (this.draining && !arrivedDraining) this.report.completed += 1;
      if (this.draining && this.inFlight === 0) this.onIdle?.();
    });
  }
}

/** Whether `promise` settled before `deadline` (epoch ms). */
async function within(promise: Promise<void>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function connectionCount(server: Server): Promise<number> {
  return new Promise((resolve) => server.getConnections((error, count) => resolve(error ? 0 : count)));
}
