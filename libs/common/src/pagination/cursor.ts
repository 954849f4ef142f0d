import { BadRequestException } from '@nestjs/common';

/**
 * Opaque page cursors: base64url of a small JSON object holding the sort key of the last row returned.
 * Clients must treat them as opaque; the server validates every field it reads back.
 */
export function encodeCursor(position: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

export function decodeCursor<T>(cursor: string, parse: (raw: Record<string, unknown>) => T | undefined): T {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    raw = undefined;
  }
  const position = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? parse(raw as Record<string, unknown>) : undefined;
  if (position === undefined) throw new BadRequestException({ message: 'Invalid cursor: pass the cursor from a Link header unchanged' });
  return position;
}

export const MAX_INT4 = 2_147_483_647;

export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_INT4;
}

export function isIsoTimestamp(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value) && !Number.isNaN(Date.parse(value));
}
