import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import { isQuietRequest } from '../http/health-routes';
import { REQUEST_ID_HEADER } from './request-id';

/** One line per request, as JSON (field names are what operators query by). */
export interface RequestLine {
  requestId: string;
  method: string;
  /** The matched route pattern (`/listings/:id/prices`), so lines group by endpoint; null when nothing matched (404). */
  route: string | null;
  /** The path without its query string: no query parameter holds a secret today, and none can leak here if one ever does. */
  path: string;
  status: number;
  durationMs: number;
  /** The client's address: the socket's peer, or the forwarded address when that peer is a trusted proxy (TRUST_PROXY). */
  ip: string;
  /** Set when the request carried a valid access token or API key (request.user, from the global guard). */
  userId?: number;
  /** Set when that credential was an API key: which one (its id, never the key), to tell a program's requests from its owner's. */
  apiKeyId?: number;
}

export function requestLine(request: FastifyRequest, reply: FastifyReply): RequestLine {
  const query = request.url.indexOf('?');
  const user = (request as FastifyRequest & { user?: { id?: unknown; apiKey?: { id?: unknown } } }).user;
  return {
    requestId: request.id,
    method: request.method,
    route: request.routeOptions.url ?? null,
    path: query === -1 ? request.url : request.url.slice(0, query),
    status: reply.statusCode,
    durationMs: Math.round(reply.elapsedTime * 100) / 100,
    ip: request.ip,
    ...(typeof user?.id === 'number' ? { userId: user.id } : {}),
    ...(typeof user?.apiKey?.id === 'number' ? { apiKeyId: user.apiKey.id } : {}),
  };
}

/**
 * Request ids and request lines, as Fastify hooks on the root instance. Added before Nest initialises
 * the application, so that they run for every response Fastify sends: routes, 404s, body parser and
 * validation errors, guard rejections, exception filter answers. The exception filter logs an
 * unexpected error with `request.id` itself: a per-request logging context (AsyncLocalStorage, as
 * nestjs-pino's middleware sets up) cost more CPU per request than the request line.
 *
 * Fastify's router rejects a malformed URL (400) or an over-long path parameter (414) before any hook
 * runs: those answers carry no X-Request-Id and have no request line.
 */
export function logRequests(fastify: FastifyInstance, logger: Pino): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // Load balancers poll the health routes, and Prometheus /metrics, every few seconds: their lines are debug, not info.
    const level = isQuietRequest(request.routeOptions.url ?? null, reply.statusCode) ? 'debug' : 'info';
    if (logger.isLevelEnabled(level)) logger[level](requestLine(request, reply), 'request completed');
    done();
  });
}
