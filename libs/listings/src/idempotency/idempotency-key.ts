import { createHash } from 'node:crypto';
import { BadRequestException } from '@nestjs/common';

/** The request header (draft-ietf-httpapi-idempotency-key-header) and the one marking a replayed response. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/** How long a key answers with the first response; later it counts as new (and is purged). */
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;

/** 1 to 255 visible ASCII characters; the draft's quoted form (`"…"`, a structured-field string) is accepted too. */
const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The Idempotency-Key of a request, or undefined when it has none. A malformed one is a 400: a client
 * that sends a key relies on it, so it must not be ignored silently.
 */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (Array.isArray(header)) throw new BadRequestException({ message: 'Send one Idempotency-Key header, not several' });
  const quoted = /^"(.*)"$/.exec(header);
  const key = quoted ? quoted[1] : header;
  if (!KEY.test(key) || (quoted && /["\\]/.test(key))) {
    throw new BadRequestException({ message: 'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is a good choice)' });
  }
  return key;
}

/**
 * SHA-256 of the request body as canonical JSON (object keys sorted at every depth), so the same body
 * sent with its properties in another order, or other whitespace, is the same request.
 */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
