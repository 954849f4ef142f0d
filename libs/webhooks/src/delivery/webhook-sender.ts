import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { DESTINATION_NOT_ALLOWED, DestinationPolicy, guardedLookup, isPublicAddress, webhookUrlProblem } from './destination';

/** What one delivery attempt gave. It succeeded when there is no `error` and `status` is 2xx. */
export interface SendResult {
  /** The receiver's status code, when its response headers arrived (also when the exchange failed after them). */
  status?: number;
  /** The start of the response body (at most MAX_RESPONSE_BYTES), decoded as UTF-8; '' when there was none. */
  responseBody: string;
  durationMs: number;
  /** Why the exchange did not complete: 'timeout', 'connection refused', 'destination not allowed', ... */
  error?: string;
}

/** Enough of a receiver's answer to tell why it refused a delivery, and no more: a receiver's body is no business of ours to store. */
const MAX_RESPONSE_BYTES = 1024;

/** An idle kept-alive socket is closed after this long, before the receiver's server does it (Node's default keepAliveTimeout is 5 s), so a reused socket is rarely one the receiver is closing. */
const IDLE_SOCKET_TIMEOUT_MS = 4_000;

/** Why a request failed, in a few words for the delivery record: never a stack, rarely a host name. */
function failureOf(error: unknown): string {
  const { code, message, syscall } = (error ?? {}) as NodeJS.ErrnoException;
  if (message === DESTINATION_NOT_ALLOWED) return DESTINATION_NOT_ALLOWED;
  if (syscall === 'getaddrinfo') return `DNS lookup failed: ${code === 'ENOTFOUND' ? 'no such host' : (code ?? message)}`;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET': // also Node's "socket hang up": closed before a response
    case 'EPIPE':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'timeout';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
  }
  if (typeof code === 'string') {
    if (code.startsWith('HPE_')) return 'invalid HTTP response';
    if (/CERT|TLS|SSL/.test(code)) return `TLS error: ${code}`;
    return `connection failed: ${code}`;
  }
  return typeof message === 'string' && message !== '' ? message : 'connection failed';
}

/**
 * Sends webhook requests. One keep-alive agent per scheme for the whole process: a delivery to a receiver
 * that was just delivered to reuses its connection, which is what makes hundreds of deliveries a second
 * possible (a new TCP, and TLS, handshake per delivery costs more than the delivery).
 */
export class WebhookSender {
  private readonly timeoutMs: number;
  private readonly policy: DestinationPolicy;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(options: { timeoutMs: number; policy: DestinationPolicy; maxSockets?: number }) {
    this.timeoutMs = options.timeoutMs;
    this.policy = options.policy;
    // The guard runs at every new connection, so a name that resolves to a private address later is refused then (DNS rebinding).
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 50, timeout: IDLE_SOCKET_TIMEOUT_MS, lookup: guardedLookup(options.policy) };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  /**
   * POSTs body with these headers (content-type: application/json added). Never throws: failures are in
   * `error`. Never follows redirects (a 3xx is just a non-2xx status). The response body is kept to 1 KB at
   * most. The timeout covers the whole exchange (connect, response headers and body): error 'timeout'.
   */
  send(url: string, headers: Record<string, string>, body: string): Promise<SendResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);

    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return Promise.resolve({ responseBody: '', durationMs: elapsed(), error: 'invalid url' });
    }
    // The scheme and credential rules, whatever the address policy: the URL was checked when it was
    // written, but the policy may have changed since.
    const problem = webhookUrlProblem(url, { ...this.policy, allowPrivate: true });
    if (problem) return Promise.resolve({ responseBody: '', durationMs: elapsed(), error: problem });
    // Node's net skips `lookup` for a literal address, so the agents' guard never sees one: checked here.
    // A name (localhost included) is left to the guard, which checks what it resolves to.
    const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!this.policy.allowPrivate && isIP(host) !== 0 && !isPublicAddress(host)) {
      return Promise.resolve({ responseBody: '', durationMs: elapsed(), error: DESTINATION_NOT_ALLOWED });
    }

    return new Promise((resolve) => {
      let status: number | undefined;
      const chunks: Buffer[] = [];
      let received = 0;
      let settled = false;
      const settle = (error?: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        const responseBody = Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
        resolve(error === undefined ? { status, responseBody, durationMs: elapsed() } : { status, responseBody, durationMs: elapsed(), error });
      };

      let request: http.ClientRequest | undefined;
      const timer = setTimeout(() => {
        settle('timeout');
        request?.destroy();
      }, this.timeoutMs);
      try {
        const transport = target.protocol === 'https:' ? https : http;
        request = transport.request(
          target,
          {
            method: 'POST',
            agent: target.protocol === 'https:' ? this.httpsAgent : this.httpAgent,
            headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (response) => {
            status = response.statusCode;
            response.on('data', (chunk: Buffer) => {
              if (settled) return;
              chunks.push(chunk);
              received += chunk.length;
              if (received >= MAX_RESPONSE_BYTES) {
                // The rest is not read: the socket goes with it, rather than back to the pool.
                settle();
                response.destroy();
              }
            });
            response.on('end', () => settle());
            response.on('error', (error) => settle(failureOf(error)));
            // Closed before its end without an error event (a body cut short): not a complete exchange.
            response.on('close', () => settle('connection reset'));
          },
        );
      } catch (error) {
        // Headers Node refuses to send (a newline in a value, say) throw here rather than emit.
        settle(`invalid request: ${failureOf(error)}`);
        return;
      }
      request.on('error', (error) => settle(failureOf(error)));
      request.end(body);
    });
  }

  /** Destroys the keep-alive agents (called on shutdown). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
