/**
 * A failure of the embedded PostgreSQL that the user has to act on. Its message is one line naming the
 * cause and the way out, meant to be printed as is (no stack trace); the original error is its `cause`.
 */
export class EmbeddedPostgresError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EmbeddedPostgresError';
  }
}

/** The way out that always exists. */
export const USE_YOUR_OWN = 'or set DATABASE_URL to use a PostgreSQL server of your own';

/** First meaningful line of an error, for one-line messages. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text
      .split(/\r?\n/)
      .map((line) => line.trim())
      .find((line) => line.length > 0) ?? 'unknown error'
  );
}

/**
 * The lines of PostgreSQL's own output that explain a failure (FATAL/PANIC/ERROR, `initdb: error:` and
 * their DETAIL/HINT), without log prefixes, joined on one line; else its last line.
 */
export function postgresFailureSummary(output: string): string {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const explaining = lines
    .map((line) => /(?:^|\s)(FATAL|PANIC|ERROR|DETAIL|HINT):\s+(.*)$/.exec(line) ?? /^(initdb|postgres): (?:error|detail|hint): (.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => match[2].trim());
  const chosen = explaining.length > 0 ? [...new Set(explaining)] : lines.slice(-1);
  return chosen.join(' ').replace(/\s+/g, ' ').slice(0, 600) || 'no output';
}
