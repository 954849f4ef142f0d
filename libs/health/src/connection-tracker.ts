import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

interface ConnectionState {
  /** Requests read on it whose response is not finished yet (more than one when a client pipelines). */
  active: number;
  /** Responses finished on it. */
  served: number;
  /** `socket.bytesRead` when its last response finished: more since means a next request has begun. */
  bytesReadAtLastResponse: number;
}

/**
 * What the HTTP server is doing, as a drain needs to know it: the open connections, the requests being
 * handled on each, and how many connections were accepted so far. It listens on the raw server, so a
 * request counts from the moment its headers are parsed, before any Fastify hook runs.
 */
export class ConnectionTracker {
  /** Requests read whose response is not finished. */
  inFlight = 0;
  /** Connections accepted since the start: a drain closes the listener only when a look adds none. */
  accepted = 0;
  /** Of the requests read up to `markStart()`, those whose response has finished since. */
  finishedSinceMark = 0;
  private requestsRead = 0;
  private mark = 0;
  private readonly connections = new Map<Socket, ConnectionState>();
  private waiters: (() => void)[] = [];

  constructor(readonly server: Server) {
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.onRequest(request, response));
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Requests under way on this request's connection, itself included. */
  activeOn(socket: Socket): number {
    return this.connections.get(socket)?.active ?? 0;
  }

  /** From now on, `finishedSinceMark` counts the requests already read that finish. */
  markStart(): void {
    this.mark = this.requestsRead;
    this.finishedSinceMark = 0;
  }

  /**
   * Closes the connections with nothing under way and nothing received since their last response:
   * kept alive after serving (`includeUnused` false), or also those that never sent a byte. Only safe
   * once the event loop has read what clients sent (`afterPendingInput`): a socket closed with unread
   * data is reset. Returns how many were closed.
   */
  closeIdle(includeUnused: boolean): number {
    let closed = 0;
    for (const [socket, state] of this.connections) {
      const untouched = socket.bytesRead === state.bytesReadAtLastResponse;
      if (state.active === 0 && untouched && (state.served > 0 || includeUnused)) {
        socket.destroy();
        closed += 1;
      }
    }
    return closed;
  }

  /** Closes every connection, whatever it is doing (the deadline). Returns how many there were. */
  closeAll(): number {
    const count = this.connections.size;
    for (const socket of this.connections.keys()) socket.destroy();
    return count;
  }

  /** Resolves once `condition` holds, or at `deadline` (epoch ms); says whether it held. */
  async until(condition: () => boolean, deadline: number): Promise<boolean> {
    while (!condition()) {
      if (Date.now() >= deadline) return false;
      await this.nextChange(deadline);
    }
    return true;
  }

  /** Resolves when a response finishes or a connection closes, or at `deadline`. */
  nextChange(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private changed(): void {
    if (this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private onConnection(socket: Socket): void {
    this.accepted += 1;
    this.connections.set(socket, { active: 0, served: 0, bytesReadAtLastResponse: 0 });
    socket.once('close', () => {
      this.connections.delete(socket);
      this.changed();
    });
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    const socket = request.socket;
    const state = this.connections.get(socket);
    const number = ++this.requestsRead;
    this.inFlight += 1;
    if (state) state.active += 1;
    // 'close' follows the end of the response, or the client going away before it.
    response.once('close', () => {
      this.inFlight -= 1;
      if (number <= this.mark) this.finishedSinceMark += 1;
      if (state) {
        state.active -= 1;
        state.served += 1;
        state.bytesReadAtLastResponse = socket.bytesRead;
      }
      this.changed();
    });
  }
}

/**
 * Resolves after the event loop has polled its sockets twice: whatever a client had sent before the
 * call is then read and parsed (a connection accepted in the first poll is read in the second), so a
 * request already on its way is in flight, and a connection that looks idle is idle.
 */
export function afterPendingInput(): Promise<void> {
  // Three check phases: the first may come before this iteration's poll is over; two full polls follow.
  return new Promise((resolve) => setImmediate(() => setImmediate(() => setImmediate(resolve))));
}
