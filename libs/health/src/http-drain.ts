import { Server as NetServer } from 'node:net';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { ApiErrorBody, RETRY_AFTER_SECONDS, isHealthRoute } from '@app/common';
import { ConnectionTracker, afterPendingInput } from './connection-tracker';

/** What a drain did, for the shutdown log. */
export interface DrainReport {
  /** Requests being handled when the drain began. */
  inFlight: number;
  /** Of those, the ones that finished (with whatever status their handler gave). */
  completed: number;
  /** Requests that arrived during the drain (health routes aside): answered 503. */
  refused: number;
  /** When the listener closed, in ms after the drain began (the deadline, if it never went quiet). */
  listenerClosedMs: number;
  /** Connections still open at the deadline, closed with whatever they were doing. */
  cut: number;
  elapsedMs: number;
}

type Phase = 'serving' | 'leaving' | 'draining';

/**
 * Graceful shutdown of the HTTP side, in two steps.
 *
 * `leave()` (at the signal): readiness turns 503, every response from then on carries
 * `Connection: close`, and keep-alive connections idle at that moment are closed, so that clients and
 * load balancers move to other instances. Requests are still served as usual (SHUTDOWN_DELAY_MS).
 *
 * `drain()`: requests already read finish; a request that arrives now (health routes excepted) is
 * answered 503 with Retry-After and `Connection: close`. The listener stays open meanwhile and is
 * closed last, once nothing is in flight and a look at it finds no new connection: a connection still
 * waiting in the kernel's accept queue when a listener closes is reset, though its client may have
 * sent its whole request already (issue 20: 51 resets out of 60 when the listener closed at once).
 * Then the connections left are closed as they fall idle; at the deadline whatever is open is cut.
 *
 * Nest's `app.close()` cannot do this itself: it runs the modules' destroy hooks (which end the
 * database pool) before it closes the HTTP server, so requests in flight would lose their database.
 */
@Injectable()
export class HttpDrain implements OnModuleInit {
  private phase: Phase = 'serving';
  private refused = 0;
  private tracker!: ConnectionTracker;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** From the signal on: readiness answers 503. */
  get isShuttingDown(): boolean {
    return this.phase !== 'serving';
  }

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    this.tracker = new ConnectionTracker(fastify.server);
    // Callback-style hooks: no promise per request.
    fastify.addHook('onRequest', (request, reply, done) => {
      // Health routes keep answering during a drain: liveness stays 200, readiness says it is shutting down.
      if (this.phase !== 'draining' || isHealthRoute(request.url)) return done();
      this.refused += 1;
      const body: ApiErrorBody = { message: 'The service is shutting down: retry the request' };
      void reply.code(503).header('retry-after', String(RETRY_AFTER_SECONDS)).send(body);
    });
    fastify.addHook('onSend', (request, reply, _payload, done) => {
      // The last request on a connection closes it; earlier pipelined ones leave it to the last.
      if (this.phase !== 'serving' && request.raw.httpVersionMajor === 1 && this.tracker.activeOn(request.raw.socket) <= 1) {
        void reply.header('connection', 'close');
      }
      done();
    });
  }

  /** Readiness 503 from now on, and connections are let go (see the class comment). Returns how many idle ones were closed. */
  async leave(): Promise<number> {
    if (this.phase !== 'serving') return 0;
    this.phase = 'leaving';
    // A request sent just before the signal must be read first, or its connection would look idle.
    await afterPendingInput();
    return this.tracker.closeIdle(false);
  }

  /** Drains until `deadline` (epoch ms) at the latest (see the class comment). Call once, after `leave()`. */
  async drain(deadline: number): Promise<DrainReport> {
    const started = Date.now();
    this.phase = 'draining';
    this.tracker.markStart();
    const inFlight = this.tracker.inFlight;
    const server = this.tracker.server;

    // Accept and answer until nothing is in flight and two polls of the listener bring no new connection.
    while (server.listening && (await this.tracker.until(() => this.tracker.inFlight === 0, deadline))) {
      const accepted = this.tracker.accepted;
      await afterPendingInput();
      // net.Server's close: stop accepting only (http.Server's would also close idle connections now).
      if (this.tracker.inFlight === 0 && this.tracker.accepted === accepted) NetServer.prototype.close.call(server);
    }
    const listenerClosedMs = Date.now() - started;

    // Answered connections close themselves (Connection: close); those with nothing received are closed here.
    while (this.tracker.openConnections > 0 && Date.now() < deadline) {
      await afterPendingInput();
      this.tracker.closeIdle(true);
      if (this.tracker.openConnections > 0) await this.tracker.nextChange(deadline);
    }
    if (server.listening) NetServer.prototype.close.call(server);
    const cut = this.tracker.closeAll();
    return {
      inFlight,
      completed: Math.min(inFlight, this.tracker.finishedSinceMark),
      refused: this.refused,
      listenerClosedMs,
      cut,
      elapsedMs: Date.now() - started,
    };
  }
}
