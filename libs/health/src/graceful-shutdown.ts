import { setTimeout as sleep } from 'node:timers/promises';
import { INestApplication, Logger } from '@nestjs/common';
import { HttpDrain } from './http-drain';

export interface ShutdownOptions {
  /** The signal that asked for it, for the log. */
  signal: string;
  /** SHUTDOWN_TIMEOUT_MS: the whole shutdown, from the signal (delay, drain and close), fits in it. */
  timeoutMs: number;
  /** SHUTDOWN_DELAY_MS: how long to keep serving as usual, not ready, before the drain. */
  delayMs: number;
  /** Runs once the application is closed (the embedded PostgreSQL server stops there). */
  afterClose?: () => Promise<void>;
}

/** Kept from the timeout for closing the pools, Redis and the embedded server once the drain is over. */
const CLOSE_RESERVE_MS = 2_000;

/**
 * The shutdown sequence (HttpDrain): readiness 503 at once; for `delayMs` requests are served as usual
 * while load balancers notice; then the HTTP drain (requests in flight finish, late ones get 503, the
 * listener closes last); then the application closes (the modules' destroy hooks end the database
 * pools and Redis connections), then `afterClose`. The caller exits the process, and enforces the timeout.
 */
export async function shutDownGracefully(app: INestApplication, options: ShutdownOptions): Promise<void> {
  const logger = new Logger('Shutdown');
  const drain = app.get(HttpDrain);
  const deadline = Date.now() + Math.max(0, options.timeoutMs - Math.min(CLOSE_RESERVE_MS, options.timeoutMs / 2));
  const leaving = drain.leave();
  if (options.delayMs > 0) {
    logger.log(`${options.signal}: readiness is 503; serving as usual for SHUTDOWN_DELAY_MS (${options.delayMs} ms) while load balancers take this instance out, then draining`);
  }
  const idleClosed = await leaving;
  if (options.delayMs > 0) await sleep(Math.min(options.delayMs, Math.max(0, deadline - Date.now())));
  logger.log(
    `${options.signal}: draining; readiness is 503, new requests get 503, ${idleClosed} idle keep-alive connections closed, ` +
      `up to ${Math.max(0, deadline - Date.now())} ms for the requests in flight`,
  );
  const report = await drain.drain(deadline);
  logger.log(
    `Drained in ${report.elapsedMs} ms: ${report.completed} of ${report.inFlight} requests in flight completed, ` +
      `${report.refused} late requests answered 503, listener closed after ${report.listenerClosedMs} ms` +
      `${report.cut > 0 ? `, ${report.cut} connections cut at the deadline` : ''}`,
  );
  await app.close();
  await options.afterClose?.();
}
