/**
 * What a database error means, wherever it was raised (node-postgres, pg-pool, Prisma with
 * @prisma/adapter-pg): the one place that knows the drivers' codes and messages. The HTTP side (the
 * exception filter in libs/common) decides what each meaning is answered with.
 */

/**
 * Errors a request can cause and a client can act on, from Prisma's known request errors:
 * - `unique-violation`: a row with the same unique value exists (P2002);
 * - `missing-reference`: the write refers to a row that does not exist, or one still referenced (P2003);
 * - `not-found`: the row the operation needed does not exist (P2025);
 * - `transaction-wait`: no pooled connection for the transaction within its maxWait: the service is
 *   overloaded, not the client wrong (P2028).
 */
export type DatabaseErrorKind = 'unique-violation' | 'missing-reference' | 'not-found' | 'transaction-wait';

const KINDS: Record<string, DatabaseErrorKind> = {
  P2002: 'unique-violation',
  P2003: 'missing-reference',
  P2025: 'not-found',
  P2028: 'transaction-wait',
};

/** The kind of a request error (see DatabaseErrorKind), or undefined for any other error. */
export function databaseErrorKind(error: unknown): DatabaseErrorKind | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && Object.hasOwn(KINDS, code) ? KINDS[code] : undefined;
}

/** A unique constraint refused the write (an email already registered, say). */
export function isUniqueViolation(error: unknown): boolean {
  return databaseErrorKind(error) === 'unique-violation';
}

/*
 * Errors that mean "the database cannot serve this request right now" rather than "this request is
 * wrong": the server is down, restarting, unreachable, out of connections, or too slow. The client
 * may simply retry (the exception filter answers 503 with Retry-After, never 500).
 */

/** Socket errors of a connection that cannot be opened or was lost. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** SQLSTATEs outside class 08 (connection exception) that mean the same to a client. */
const SQLSTATES: Record<string, string> = {
  '57014': 'statement timeout',
  '57P01': 'server shutting down (57P01)',
  '57P02': 'server crashed (57P02)',
  '57P03': 'server not accepting connections (57P03)',
  '53300': 'too many connections (53300)',
};

/**
 * Prisma's codes for the same situations (with @prisma/adapter-pg, errors PostgreSQL raises itself
 * arrive as P2010 with the SQLSTATE in meta.driverAdapterError.cause).
 */
const PRISMA_CODES: Record<string, string> = {
  P1001: 'database not reachable (P1001)',
  P1002: 'database timed out (P1002)',
  P1008: 'operation timed out (P1008)',
  P1017: 'server closed the connection (P1017)',
  P2024: 'connection pool timeout (P2024)',
  P2037: 'too many connections (P2037)',
};

/** node-postgres and pg-pool raise these without a code (Prisma passes them on inside its own message). */
const MESSAGES: [RegExp, string][] = [
  [/timeout exceeded when trying to connect/, 'connection pool timeout'],
  [/Connection terminated due to connection timeout/, 'connect timeout'],
  [/Connection terminated unexpectedly/, 'connection lost'],
  [/Client has encountered a connection error and is not queryable/, 'connection lost'],
  [/Cannot use a pool after calling end on the pool/, 'shutting down'],
  [/Query read timeout/, 'no answer (query timeout)'],
];

interface ErrorLike {
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  meta?: { driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown; kind?: unknown } } };
}

/**
 * Why the database could not serve the request (a short, log-safe phrase without host names), or
 * undefined when the error is not about availability. Looks through `cause` chains.
 */
export function databaseUnavailableCause(error: unknown, depth = 0): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const e = error as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code) {
    if (SOCKET_CODES.has(code)) return `connection failed (${code})`;
    if (code.startsWith('08') && code.length === 5) return `connection exception (${code})`;
    if (code in SQLSTATES) return SQLSTATES[code];
    if (code in PRISMA_CODES) return PRISMA_CODES[code];
  }
  const adapterCause = e.meta?.driverAdapterError?.cause;
  if (adapterCause) {
    const original = adapterCause.originalCode ?? adapterCause.code;
    const fromAdapter = databaseUnavailableCause({ code: original });
    if (fromAdapter) return fromAdapter;
    if (adapterCause.kind === 'DatabaseNotReachable') return PRISMA_CODES.P1001;
    if (adapterCause.kind === 'ConnectionClosed') return PRISMA_CODES.P1017;
    if (adapterCause.kind === 'SocketTimeout') return PRISMA_CODES.P1008;
  }
  if (typeof e.message === 'string') {
    for (const [pattern, cause] of MESSAGES) if (pattern.test(e.message)) return cause;
  }
  return databaseUnavailableCause(e.cause, depth + 1);
}
