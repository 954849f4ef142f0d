/**
 * Errors that mean "the database cannot serve this request right now" rather than "this request is
 * wrong": the server is down, restarting, unreachable, out of connections, or too slow. They become a
 * 503 with Retry-After (see ApiExceptionFilter), never a 500, and the client may simply retry.
 */

/** What a client is told to wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

/** Told about every request that failed because the database was unavailable (DatabaseAvailability). */
export interface DatabaseOutageReporter {
  failed(cause: string): void;
}

export const DATABASE_OUTAGE_REPORTER = Symbol('DATABASE_OUTAGE_REPORTER');

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
