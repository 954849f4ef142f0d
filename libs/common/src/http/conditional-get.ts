import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Conditional GETs (RFC 9110 §8.8.3, §13.1.2): every cacheable read sends an ETag and
 * `Cache-Control: no-cache` (clients may store the response but must revalidate it), and an
 * `If-None-Match` that matches is answered 304 without a body, with the same two headers.
 */
export const CACHE_CONTROL = 'no-cache';

/** An entity tag from the parts that determine a representation: a hash, so nothing internal leaks. */
export function entityTag(...parts: (string | number)[]): string {
  return `"${createHash('sha256').update(parts.join('\u001f')).digest('base64url').slice(0, 27)}"`;
}

/**
 * Does `If-None-Match` match `etag`? `*` matches any current representation; otherwise a comma-separated
 * list of entity tags compared weakly (a `W/` prefix on either side is ignored), as RFC 9110 requires
 * for If-None-Match. A malformed list matches nothing, so the client simply gets a 200.
 */
export function ifNoneMatchMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return true;
  const wanted = opaqueTag(etag);
  for (const match of value.matchAll(/(?:W\/)?"([^"]*)"/g)) {
    if (match[1] === wanted) return true;
  }
  return false;
}

function opaqueTag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/**
 * Sets ETag and Cache-Control, and when the request's If-None-Match matches, the 304 status: the handler
 * then returns nothing (Fastify sends a 304 without a body). Returns whether it answered 304.
 */
export function answerNotModified(request: FastifyRequest, reply: FastifyReply, etag: string): boolean {
  void reply.header('etag', etag).header('cache-control', CACHE_CONTROL);
  if (!ifNoneMatchMatches(request.headers['if-none-match'], etag)) return false;
  void reply.status(304);
  return true;
}
