/**
 * The webhook receiver the benchmark delivers to: node:https on 127.0.0.1 in a child process of its own (its
 * event loop is not the runner's, so its arrival times are not held up by the runner's work), answering 204
 * as soon as a body has arrived. HTTPS because the service runs as in production (NODE_ENV=production), where
 * it sends webhooks over https only: the runner makes a throwaway self-signed certificate for 127.0.0.1 with
 * `openssl` and starts APP with NODE_EXTRA_CA_CERTS naming it (and WEBHOOK_ALLOW_PRIVATE_URLS=true).
 *
 * It counts deliveries (a delivery is a webhook-id on a path: every subscription of the benchmark has its
 * own path, and subscriptions hearing the same event share the webhook-id), and records each first arrival's
 * latency: arrival time minus the body's `timestamp` (the listing write's time). It can also hold its answers
 * (the sender's attempts wait) and release them, which lets the runner build up a queue of deliveries.
 */
import { type ChildProcess, fork, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface ReceiverStats {
  /** Distinct deliveries (path + webhook-id) since the last reset; `requests` counts repeats too. */
  deliveries: number;
  requests: number;
  /** TLS connections opened since the last reset (the sender keeps them alive: far fewer than requests). */
  connections: number;
  /** Epoch ms (fractional) of the first and last first arrival; undefined before any. */
  firstMs?: number;
  lastMs?: number;
  /** Deliveries whose first arrival came after this instant (release). */
  after?: { count: number; lastMs?: number };
  /** With `latencies`: ms from each delivery's event timestamp to its first arrival. */
  latenciesMs?: number[];
}

type Command = { id: number } & ({ cmd: 'reset' } | { cmd: 'hold' } | { cmd: 'release' } | { cmd: 'stats'; latencies: boolean; afterMs?: number });

const now = () => performance.timeOrigin + performance.now();

// ---- the child ---------------------------------------------------------------------------------------------

function serve(certFile: string, keyFile: string): void {
  let seen = new Map<string, number>(); // path + webhook-id -> first arrival
  let latencies: number[] = [];
  let requests = 0;
  let connections = 0;
  let holding = false;
  let held: ServerResponse[] = [];

  const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const at = now();
      requests += 1;
      const key = `${request.url ?? ''} ${String(request.headers['webhook-id'])}`;
      if (!seen.has(key)) {
        seen.set(key, at);
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { timestamp?: unknown };
          if (typeof body.timestamp === 'string') latencies.push(at - Date.parse(body.timestamp));
        } catch {
          // not JSON: counted, no latency
        }
      }
      if (holding) held.push(response);
      else response.writeHead(204).end();
    });
  });
  server.on('secureConnection', () => (connections += 1));
  server.keepAliveTimeout = 10_000;

  process.on('message', (message: Command) => {
    const reply = (body: object) => process.send?.({ id: message.id, ...body });
    switch (message.cmd) {
      case 'reset':
        seen = new Map();
        latencies = [];
        requests = 0;
        connections = 0;
        return reply({});
      case 'hold':
        holding = true;
        return reply({});
      case 'release': {
        holding = false;
        const releasedMs = now();
        for (const response of held) response.writeHead(204).end();
        const count = held.length;
        held = [];
        return reply({ releasedMs, held: count });
      }
      case 'stats': {
        const arrivals = [...seen.values()];
        const stats: ReceiverStats = { deliveries: seen.size, requests, connections };
        if (arrivals.length > 0) {
          stats.firstMs = arrivals.reduce((a, b) => Math.min(a, b));
          stats.lastMs = arrivals.reduce((a, b) => Math.max(a, b));
        }
        if (message.afterMs !== undefined) {
          const after = arrivals.filter((at) => at > message.afterMs!);
          stats.after = { count: after.length, lastMs: after.length > 0 ? after.reduce((a, b) => Math.max(a, b)) : undefined };
        }
        if (message.latencies) stats.latenciesMs = latencies;
        return reply(stats);
      }
    }
  });
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
}

if (require.main === module) serve(process.argv[2], process.argv[3]);

// ---- the runner's side -------------------------------------------------------------------------------------

/** A self-signed certificate for 127.0.0.1, valid two days, made with the openssl command. */
function makeCertificate(dir: string): { certFile: string; keyFile: string } {
  mkdirSync(dir, { recursive: true });
  const certFile = path.join(dir, 'receiver-cert.pem');
  const keyFile = path.join(dir, 'receiver-key.pem');
  const result = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { encoding: 'utf8' },
  );
  if (result.error || result.status !== 0) throw new Error(`openssl could not make the receiver's certificate: ${result.error?.message ?? result.stderr.slice(-300)}`);
  return { certFile, keyFile };
}

export class WebhookReceiver {
  private nextId = 1;
  private readonly pending = new Map<number, (body: unknown) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    /** The certificate APP must trust (NODE_EXTRA_CA_CERTS). */
    readonly caFile: string,
  ) {
    child.on('message', (message: { id?: number }) => {
      if (message.id === undefined) return;
      this.pending.get(message.id)?.(message);
      this.pending.delete(message.id);
    });
  }

  static async start(dir: string): Promise<WebhookReceiver> {
    const { certFile, keyFile } = makeCertificate(dir);
    const child = fork(__filename, [certFile, keyFile], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the webhook receiver did not start within 10 s')), 10_000);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the webhook receiver exited (${code})`)));
      child.once('message', (message: { port: number }) => {
        clearTimeout(timer);
        resolve(message.port);
      });
    });
    return new WebhookReceiver(child, port, certFile);
  }

  /** The URL of one subscription's endpoint. */
  url(endpoint: string): string {
    return `https://127.0.0.1:${this.port}/hooks/${endpoint}`;
  }

  private ask<T>(command: Record<string, unknown>): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the webhook receiver did not answer')), 10_000);
      this.pending.set(id, (body) => {
        clearTimeout(timer);
        resolve(body as T);
      });
      this.child.send({ id, ...command });
    });
  }

  reset = () => this.ask<object>({ cmd: 'reset' });
  hold = () => this.ask<object>({ cmd: 'hold' });
  release = () => this.ask<{ releasedMs: number; held: number }>({ cmd: 'release' });
  stats = (options: { latencies?: boolean; afterMs?: number } = {}) => this.ask<ReceiverStats>({ cmd: 'stats', latencies: options.latencies ?? false, afterMs: options.afterMs });

  /** Polls until `done(stats)` or the timeout; returns the last stats. */
  async waitFor(done: (stats: ReceiverStats) => boolean, timeoutMs: number): Promise<ReceiverStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const stats = await this.stats();
      if (done(stats) || Date.now() >= deadline) return stats;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await gone;
  }
}
