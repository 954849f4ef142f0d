import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Accepted from the caller (nginx's `$request_id`, another service's id) and sent back on every response. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * What a caller's id may look like to be kept: UUIDs, ULIDs, hex ids, `service:1234`. Anything else
 * (too long, spaces, two headers joined by a comma) is replaced, so a client cannot write arbitrary
 * text into every log line of its request.
 */
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify's `genReqId`: the caller's X-Request-Id when it is well-formed, a new UUID otherwise. */
export function requestIdFor(request: Pick<IncomingMessage, 'headers'>): string {
  const given = request.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && WELL_FORMED_ID.test(given) ? given : randomUUID();
}
