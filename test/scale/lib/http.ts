/**
 * A small HTTP client bound to one loopback source address (127.0.0.0/8 is all loopback on Linux), so each
 * simulated client reaches nginx from an address of its own, as distinct users would: nginx puts it in
 * X-Forwarded-For and the service's per-IP limits see one client per address.
 */
import http, { IncomingHttpHeaders } from 'node:http';

export interface Answer {
  /** 0: no HTTP answer (connection refused or reset, timeout). */
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
  error?: string;
}

export interface RequestOptions {
  body?: unknown;
  token?: string;
  requestId?: string;
  timeoutMs?: number;
  /** Any other request headers (Idempotency-Key, If-None-Match). */
  headers?: Record<string, string>;
}

export class HttpClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(baseUrl: string, readonly sourceAddress: string) {
    this.base = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
  }

  request(method: string, path: string, options: RequestOptions = {}): Promise<Answer> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: http.OutgoingHttpHeaders = { accept: 'application/json', ...options.headers };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.requestId) headers['x-request-id'] = options.requestId;
    const started = performance.now();
    return new Promise((resolve) => {
      const done = (answer: Omit<Answer, 'ms'>) => resolve({ ...answer, ms: performance.now() - started });
      const req = http.request(
        { hostname: this.base.hostname, port: this.base.port, path, method, headers, agent: this.agent, localAddress: this.sourceAddress, timeout: options.timeoutMs ?? 15_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (error) => done({ status: 0, headers: {}, body: '', error: error.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error) => done({ status: 0, headers: {}, body: '', error: error.message }));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The path and query of the `Link: <…>; rel="next"` header, if any. */
export function nextPage(answer: Answer): string | undefined {
  const link = answer.headers.link;
  const match = typeof link === 'string' ? /<([^>]+)>;\s*rel="next"/.exec(link) : null;
  if (!match) return undefined;
  const url = new URL(match[1], 'http://placeholder');
  return `${url.pathname}${url.search}`;
}

export function json<T>(answer: Answer): T | undefined {
  try {
    return JSON.parse(answer.body) as T;
  } catch {
    return undefined;
  }
}
