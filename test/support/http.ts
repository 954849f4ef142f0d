import { contractFor } from './openapi';

/**
 * The one HTTP client of the e2e suite: every request a test makes goes through `ApiClient.request`,
 * over real HTTP, and every response is checked against the OpenAPI document the server serves: an
 * undocumented status, a missing field or an extra one fails the test that received it.
 */
export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is (for malformed bodies); set content-type through `headers`. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  token?: string;
}

export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token?: string,
  ) {}

  as(token: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, token);
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    const token = options.token ?? this.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | Buffer | undefined;
    if (options.json !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.raw !== undefined) {
      body = options.raw;
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    const text = await response.text();
    const contentType = response.headers.get('content-type');
    const parsed: unknown = text && (contentType ?? '').includes('json') ? JSON.parse(text) : text;
    const violations = (await contractFor(this.baseUrl)).violations(method, path, response.status, contentType, parsed);
    if (violations.length > 0) {
      throw new Error(`Response does not match the OpenAPI document:\n  ${violations.join('\n  ')}\nbody: ${text.slice(0, 500)}`);
    }
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }

  get<T = unknown>(path: string, options?: RequestOptions) {
    return this.request<T>('GET', path, options);
  }
  post<T = unknown>(path: string, json?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, { ...options, json });
  }
  put<T = unknown>(path: string, json?: unknown, options?: RequestOptions) {
    return this.request<T>('PUT', path, { ...options, json });
  }
  patch<T = unknown>(path: string, json?: unknown, options?: RequestOptions) {
    return this.request<T>('PATCH', path, { ...options, json });
  }
  delete<T = unknown>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }
}

/** The URL of `rel="next"` in a Link header, if any. */
export function nextPageUrl(response: ApiResponse): string | undefined {
  const link = response.headers.get('link');
  return link?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
}
