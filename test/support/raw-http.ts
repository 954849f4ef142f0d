import http from 'node:http';
import { contractFor } from './openapi';

/**
 * Requests over node:http where the test decides which connection each one uses (a keep-alive agent
 * per group of connections), and sees what happened on the wire: for the shutdown drills. Every
 * response is still checked against the OpenAPI document, like ApiClient's; load the contract
 * (`contractFor(baseUrl)`) before the server starts shutting down.
 */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** Whether the request went out on a keep-alive connection opened earlier. */
  reusedSocket: boolean;
}

export interface Sent {
  /** Settles once the whole request has been handed to the kernel (or has failed). */
  written: Promise<void>;
  response: Promise<RawResponse>;
}

export interface SendOptions {
  json?: unknown;
  token?: string;
  headers?: Record<string, string>;
}

export function send(baseUrl: string, agent: http.Agent, method: string, path: string, options: SendOptions = {}): Sent {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  const headers: Record<string, string> = { ...options.headers };
  if (body) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const request = http.request(`${baseUrl}${path}`, { method, agent, headers });
  // A request that fails is reported by `response`.
  const written = new Promise<void>((resolve) => {
    request.once('finish', resolve);
    request.once('error', () => resolve());
  });
  const response = new Promise<RawResponse>((resolve, reject) => {
    request.once('error', reject);
    request.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString();
        const parsed: unknown = text && (res.headers['content-type'] ?? '').includes('json') ? JSON.parse(text) : text;
        void contractFor(baseUrl).then((contract) => {
          const violations = contract.violations(method, path, res.statusCode ?? 0, res.headers['content-type'] ?? null, parsed);
          if (violations.length > 0) reject(new Error(`Response does not match the OpenAPI document: ${violations.join('; ')}`));
          else resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, reusedSocket: request.reusedSocket });
        }, reject);
      });
    });
  });
  request.end(body);
  return { written, response };
}

/** What a request came to, in one word: its status, or the client-side error (ECONNRESET, socket hang up…). */
export function outcomeOf(result: PromiseSettledResult<RawResponse>): string {
  if (result.status === 'fulfilled') return String(result.value.status);
  const error = result.reason as NodeJS.ErrnoException;
  return `error ${error.code ?? error.message}`;
}

export function countBy(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}
