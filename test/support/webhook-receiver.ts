import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * The other end of webhook deliveries in the e2e tests: a real HTTP server on 127.0.0.1 that records
 * every request exactly as it arrived, checks its Standard Webhooks signature with the `standardwebhooks`
 * library (the reference implementation, not ours), and answers as told per path: a status, a sequence
 * of them, a delay, no answer at all, or a reset connection. It can also stop listening and listen again
 * on the same port, so a test can have the endpoint refuse connections for a while.
 */

/** One answer to one request. */
export type ReceiverAnswer =
  /** This status, at once, with an empty body. */
  | number
  /** This status after `delayMs` (the sender may give up first), with this body (objects as JSON). */
  | { status: number; delayMs?: number; body?: string | object; headers?: Record<string, string> }
  /** Never answer: the request stays open until the sender gives up (or pause/close). */
  | 'hang'
  /** Read the request, then destroy the connection without an HTTP answer. */
  | 'reset';

/** How a path answers: one answer for every request, or a sequence whose last answer then repeats. */
export type ReceiverBehaviour = ReceiverAnswer | readonly ReceiverAnswer[];

export interface ReceivedDelivery {
  /** The request's path, without its query string. */
  path: string;
  method: string;
  /** The `webhook-id`, `webhook-timestamp` (seconds; NaN when absent) and `webhook-signature` headers. */
  id: string;
  timestamp: number;
  signature: string;
  /** Every header, names lower-cased, repeated ones joined with ', '. */
  headers: Record<string, string>;
  /** The body's bytes exactly as received, and as UTF-8 text. */
  rawBytes: Buffer;
  rawBody: string;
  /** The body as JSON; undefined when it is not JSON. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- whatever the sender sent
  /** Epoch ms: when the whole body had arrived. */
  receivedAt: number;
  /** Whether `Webhook.verify` passed, on arrival, with at least one of the path's secrets. */
  verified: boolean;
  /** Why it did not (each secret's error), when it did not. */
  verifyError?: string;
  /** The secrets (of those set for the path on arrival) it verified with. */
  verifiedWith: string[];
  /** How many requests with this webhook-id had arrived on this path, this one included (1 = first). */
  occurrence: number;
  /** What the receiver does: answer with `status`, or 'hang' / 'reset' (then `status` is 0). */
  answer: 'status' | 'hang' | 'reset';
  status: number;
  /** Epoch ms when the answer was written; undefined while pending and for hang/reset. */
  answeredAt?: number;
  /** The connection closed before the answer was written (the sender gave up, or pause/close). */
  abandoned: boolean;
}

export interface WaitForOptions {
  /** Default 10 000. */
  timeoutMs?: number;
  /** Count only the deliveries this accepts. */
  where?: (delivery: ReceivedDelivery) => boolean;
}

/** A fresh Standard Webhooks secret, `whsec_` and 24 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Why `Webhook.verify` rejects this request for this secret; undefined when it accepts it. */
function verifyError(secret: string, rawBytes: Buffer, headers: Record<string, string>): string | undefined {
  try {
    new Webhook(secret).verify(rawBytes, headers);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export class WebhookReceiver {
  private readonly received: ReceivedDelivery[] = [];
  private readonly secrets = new Map<string, string[]>();
  private readonly behaviours = new Map<string, { answers: readonly ReceiverAnswer[]; next: number }>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<() => void>();
  /** Requests in flight per path + webhook-id, and the most there ever were. */
  private readonly inFlight = new Map<string, number>();
  private mostInFlight = 0;
  private readonly overlappingIds = new Set<string>();
  /** Requests per path + webhook-id ever received (clear() keeps these). */
  private readonly arrivals = new Map<string, number>();
  private listening = true;

  private constructor(
    private readonly server: Server,
    /** The port it listens on, kept across pause/resume. */
    readonly port: number,
  ) {}

  /** Listens on 127.0.0.1, on `port` (a free one by default). */
  static async start(options: { port?: number } = {}): Promise<WebhookReceiver> {
    const server = createServer();
    await listen(server, options.port ?? 0);
    const receiver = new WebhookReceiver(server, (server.address() as AddressInfo).port);
    server.on('connection', (socket) => {
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => receiver.handle(request, response));
    return receiver;
  }

  /** The URL of `path` on this receiver, e.g. http://127.0.0.1:PORT/hooks/a. */
  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path.startsWith('/') ? path : `/${path}`}`;
  }

  /**
   * The secrets the deliveries to `path` are verified with from now on (earlier ones keep their result):
   * a delivery verifies when `Webhook.verify` passes with any one of them on its own.
   */
  setSecrets(path: string, secrets: readonly string[]): void {
    this.secrets.set(path, [...secrets]);
  }

  /** Whether `Webhook.verify` accepts this delivery with this one secret, checked now. */
  verifiesWith(delivery: ReceivedDelivery, secret: string): boolean {
    return verifyError(secret, delivery.rawBytes, delivery.headers) === undefined;
  }

  /** How `path` answers from its next request on (the sequence starts over); 204 until told. */
  respond(path: string, behaviour: ReceiverBehaviour): void {
    const answers: readonly ReceiverAnswer[] = Array.isArray(behaviour) ? behaviour : [behaviour as ReceiverAnswer];
    if (answers.length === 0) throw new Error('respond: an empty sequence');
    this.behaviours.set(path, { answers, next: 0 });
  }

  /** The deliveries received (on `path`, or on every path), oldest first. */
  deliveries(path?: string): ReceivedDelivery[] {
    return this.received.filter((delivery) => path === undefined || delivery.path === path);
  }

  /** Forgets the deliveries received (on `path`, or all); answers and secrets stay as they are. */
  clear(path?: string): void {
    const kept = this.received.filter((delivery) => path !== undefined && delivery.path !== path);
    this.received.splice(0, this.received.length, ...kept);
  }

  /**
   * The first `count` deliveries on `path` (that `where` accepts) once they have arrived; rejects after
   * `timeoutMs` with what did arrive, so a failing test says what the sender did instead.
   */
  waitFor(path: string, count: number, options: WaitForOptions = {}): Promise<ReceivedDelivery[]> {
    const { timeoutMs = 10_000, where = () => true } = options;
    const matching = () => this.deliveries(path).filter(where);
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = matching();
        if (found.length < count) return;
        finish();
        resolve(found.slice(0, count));
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`waitFor ${path}: ${matching().length} of ${count} matching deliveries after ${timeoutMs} ms; received:\n${this.describe()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /**
   * The most requests with one webhook-id that were in flight at once on one path (from their headers'
   * arrival until their connection's answer was written or the connection closed), and the ids that
   * ever had more than one. A sender must never overlap attempts of one message: `max` stays 1.
   */
  concurrentDuplicates(): { max: number; ids: string[] } {
    return { max: this.mostInFlight, ids: [...this.overlappingIds] };
  }

  /** Stops listening (connecting is then refused: ECONNREFUSED) and destroys every open connection. */
  async pause(): Promise<void> {
    if (!this.listening) return;
    this.listening = false;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Listens again, on the same port. */
  async resume(): Promise<void> {
    if (this.listening) return;
    await listen(this.server, this.port);
    this.listening = true;
  }

  /** Stops for good: pending answers are dropped, connections destroyed. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.pause();
  }

  /** One line per delivery, for failure messages. */
  describe(): string {
    if (this.received.length === 0) return '  (nothing)';
    return this.received
      .map((d) => `  ${d.method} ${d.path} id=${d.id} #${d.occurrence} ${d.answer === 'status' ? d.status : d.answer}${d.verified ? '' : ` UNVERIFIED (${d.verifyError})`} ${d.rawBody.slice(0, 120)}`)
      .join('\n');
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0];
    const id = header(request, 'webhook-id');
    const key = `${path} ${id}`;
    if (id) {
      const now = (this.inFlight.get(key) ?? 0) + 1;
      this.inFlight.set(key, now);
      this.mostInFlight = Math.max(this.mostInFlight, now);
      if (now > 1) this.overlappingIds.add(id);
      response.on('close', () => this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1));
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => this.record(path, request, response, Buffer.concat(chunks)));
  }

  private record(path: string, request: IncomingMessage, response: ServerResponse, rawBytes: Buffer): void {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    const secrets = this.secrets.get(path) ?? [];
    const errors = secrets.map((secret) => verifyError(secret, rawBytes, headers));
    const verifiedWith = secrets.filter((_, i) => errors[i] === undefined);
    const rawBody = rawBytes.toString('utf8');
    const answer = this.nextAnswer(path);
    const id = headers['webhook-id'] ?? '';
    const occurrence = (this.arrivals.get(`${path} ${id}`) ?? 0) + 1;
    this.arrivals.set(`${path} ${id}`, occurrence);
    const delivery: ReceivedDelivery = {
      path,
      method: request.method ?? '',
      id,
      timestamp: headers['webhook-timestamp'] === undefined ? NaN : Number(headers['webhook-timestamp']),
      signature: headers['webhook-signature'] ?? '',
      headers,
      rawBytes,
      rawBody,
      body: parseJson(rawBody),
      receivedAt: Date.now(),
      verified: verifiedWith.length > 0,
      verifyError: verifiedWith.length > 0 ? undefined : secrets.length === 0 ? `no secrets set for ${path}` : errors.map((e, i) => `secret ${i + 1}: ${e}`).join('; '),
      verifiedWith,
      occurrence,
      answer: typeof answer === 'string' ? answer : 'status',
      status: typeof answer === 'number' ? answer : typeof answer === 'object' ? answer.status : 0,
      abandoned: false,
    };
    this.received.push(delivery);
    response.on('close', () => {
      if (delivery.answeredAt === undefined && delivery.answer !== 'reset') delivery.abandoned = true;
    });
    for (const waiter of [...this.waiters]) waiter();
    this.answer(delivery, answer, request, response);
  }

  private nextAnswer(path: string): ReceiverAnswer {
    const behaviour = this.behaviours.get(path);
    if (!behaviour) return 204;
    const answer = behaviour.answers[Math.min(behaviour.next, behaviour.answers.length - 1)];
    behaviour.next += 1;
    return answer;
  }

  private answer(delivery: ReceivedDelivery, answer: ReceiverAnswer, request: IncomingMessage, response: ServerResponse): void {
    if (answer === 'hang') return;
    if (answer === 'reset') {
      request.socket.destroy();
      return;
    }
    const { status, delayMs = 0, body, headers } = typeof answer === 'number' ? { status: answer } : answer;
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const responseHeaders = { ...(typeof body === 'object' ? { 'content-type': 'application/json' } : {}), ...headers };
    const write = () => {
      if (response.destroyed) return;
      delivery.answeredAt = Date.now();
      response.writeHead(status, responseHeaders).end(text);
    };
    if (delayMs <= 0) {
      write();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      write();
    }, delayMs);
    this.timers.add(timer);
  }
}

function header(request: IncomingMessage, name: string): string {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}
