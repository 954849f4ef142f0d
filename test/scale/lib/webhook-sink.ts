/**
 * The receiving end of the scale test's webhook subscription: an HTTPS server on 127.0.0.1 inside the test
 * process (the instances run with NODE_ENV=production, where webhook URLs must be https; they trust its
 * self-signed certificate through NODE_EXTRA_CA_CERTS). It answers 204 after a short delay, as a receiver that
 * does some work would, so that an instance killed mid-run has attempts in flight. It keeps, per request, what
 * the checks need: the webhook-id, when it arrived, whether `standardwebhooks` verified it, whether another
 * request with the same webhook-id was in flight, whether the sender went away before the answer, and which
 * instance sent it (the sending process of the connection, looked up with `ss`).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { onCleanup, run, systemBinary } from './supervisor';

export interface Arrival {
  id: string;
  /** Epoch ms when the whole body had arrived. */
  at: number;
  /** The body's `timestamp` (the change's time), epoch ms; NaN when absent. */
  eventAt: number;
  verified: boolean;
  /** Another request with this webhook-id was in flight when this one arrived. */
  overlapped: boolean;
  /** The sender's source port, to tell the instances apart. */
  port: number;
  /** The connection closed before the answer was written (the sender was killed, or gave up). */
  cut: boolean;
}

/** A self-signed certificate for 127.0.0.1, made with openssl in `dir`. */
export async function makeCertificate(dir: string, logDir: string): Promise<{ certPath: string; keyPath: string }> {
  const certPath = path.join(dir, 'webhook-sink.crt');
  const keyPath = path.join(dir, 'webhook-sink.key');
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath];
  await run(systemBinary('openssl') ?? 'openssl', args, { cwd: dir, logPath: path.join(logDir, 'openssl.log'), timeoutMs: 20_000 });
  return { certPath, keyPath };
}

export class WebhookSink {
  readonly arrivals: Arrival[] = [];
  private secret?: Webhook;
  private readonly inFlight = new Map<string, number>();
  /** Source port -> sending process id, from `ss`. */
  private readonly senders = new Map<number, number>();
  private lookup?: Promise<void>;
  private lookupAgain = false;

  private constructor(
    private readonly server: https.Server,
    readonly port: number,
    private readonly answerDelayMs: number,
  ) {}

  static async start(tls: { certPath: string; keyPath: string }, answerDelayMs: number): Promise<WebhookSink> {
    const server = https.createServer({ cert: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const sink = new WebhookSink(server, (server.address() as AddressInfo).port, answerDelayMs);
    server.on('request', (request, response) => sink.handle(request, response));
    // The connecting socket exists now: ask which process owns it while it is there to be seen.
    server.on('secureConnection', () => sink.lookUpSenders());
    onCleanup('webhook receiver', () => sink.close());
    return sink;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}/hooks/scale`;
  }

  /** The subscription's secret: deliveries are verified with it from now on. */
  verifyWith(secret: string): void {
    this.secret = new Webhook(secret);
  }

  /** The process that sent this arrival, when `ss` could tell. */
  senderOf(arrival: Arrival): number | undefined {
    return this.senders.get(arrival.port);
  }

  /** Waits for the last `ss` lookup, so that the connections seen so far are attributed. */
  async settled(): Promise<void> {
    while (this.lookup) await this.lookup;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const id = String(request.headers['webhook-id'] ?? '');
    const inFlight = (this.inFlight.get(id) ?? 0) + 1;
    this.inFlight.set(id, inFlight);
    response.once('close', () => this.inFlight.set(id, (this.inFlight.get(id) ?? 1) - 1));
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      let verified = false;
      try {
        this.secret?.verify(raw, headers);
        verified = this.secret !== undefined;
      } catch {
        verified = false;
      }
      let eventAt = NaN;
      try {
        eventAt = Date.parse((JSON.parse(raw.toString('utf8')) as { timestamp: string }).timestamp);
      } catch {
        // not JSON: eventAt stays NaN and the latency figures leave it out
      }
      const arrival: Arrival = { id, at: Date.now(), eventAt, verified, overlapped: inFlight > 1, port: request.socket.remotePort ?? 0, cut: false };
      this.arrivals.push(arrival);
      let answered = false;
      response.once('close', () => (arrival.cut = !answered));
      setTimeout(() => {
        if (response.destroyed) return;
        answered = true;
        response.writeHead(204).end();
      }, this.answerDelayMs);
    });
  }

  /** `ss` for every connection to this port, coalesced: one lookup at a time, and one more if asked meanwhile. */
  private lookUpSenders(): void {
    if (this.lookup) {
      this.lookupAgain = true;
      return;
    }
    this.lookup = this.ss()
      .catch(() => undefined) // without ss the arrivals stay unattributed
      .finally(() => {
        this.lookup = undefined;
        if (this.lookupAgain) {
          this.lookupAgain = false;
          this.lookUpSenders();
        }
      });
  }

  private ss(): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(systemBinary('ss') ?? 'ss', ['-Htnp', 'state', 'established', `dport = :${this.port}`], { timeout: 5_000 }, (error, stdout) => {
        if (error) return reject(new Error(`ss: ${error.message}`));
        // With a state given, no state column: "0 0 127.0.0.1:45678 127.0.0.1:PORT users:(("node",pid=123,fd=25))"
        for (const line of stdout.split('\n')) {
          const match = /^\s*\d+\s+\d+\s+127\.0\.0\.1:(\d+)\s+\S+\s+users:\(\("[^"]*",pid=(\d+)/.exec(line);
          if (match) this.senders.set(Number(match[1]), Number(match[2]));
        }
        resolve();
      });
    });
  }
}
