/**
 * The HTTP side of a database that cannot serve a request right now (which errors mean that is decided
 * by `databaseUnavailableCause` in libs/database): a 503 with Retry-After, never a 500, and the client
 * may simply retry.
 */

/** What a client is told to wait before retrying a 503. */
export const RETRY_AFTER_SECONDS = 5;

/** Told about every request that failed because the database was unavailable (DatabaseAvailability). */
export interface DatabaseOutageReporter {
  failed(cause: string): void;
}

export const DATABASE_OUTAGE_REPORTER = Symbol('DATABASE_OUTAGE_REPORTER');
