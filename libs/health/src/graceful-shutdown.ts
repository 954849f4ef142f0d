import { INestApplication, Logger } from '@nestjs/common';
import { HttpDrain } from './http-drain';

export interface ShutdownOptions {
  /** The signal that asked for it, for the log. */
  signal: string;
  /** SHUTDOWN_TIMEOUT_MS: the whole shutdown, drain and close, fits in it. */
  timeoutMs: number;
  /** Runs once the application is closed (the embedded PostgreSQL server stops there). */
  afterClose?: () => Promise<void>;
}

/** Kept from the timeout for closing the pools, Redis and the embedded server once the drain is over. */
const CLOSE_RESERVE_MS = 2_000;

/**
 * The shutdown sequence: drain HTTP (HttpDrain: readiness 503 at once, no new connections, requests in
 * flight finish), then close the application (the modules' destroy hooks end the database pools and
 * Redis connections), then `afterClose`. The caller exits the process, and enforces the timeout.
 */
export async function shutDownGracefully(app: INestApplication, options: ShutdownOptions): Promise<void> {
  const logger = new Logger('Shutdown');
  const drainMs = Math.max(0, options.timeoutMs - Math.min(CLOSE_RESERVE_MS, options.timeoutMs / 2));
  logger.log(`${options.signal}: shutting down; readiness is 503, no new connections, up to ${drainMs} ms for the requests in flight`);
  const report = await app.get(HttpDrain).drain(drainMs);
  logger.log(
    `Drained in ${report.elapsedMs} ms: ${report.completed} of ${report.inFlight} requests in flight completed, ` +
      `${report.refused} late requests answered 503${report.cut > 0 ? `, ${report.cut} connections cut at the deadline` : ''}`,
  );
  await app.close();
  await options.afterClose?.();
}
