/**
 * What the request log costs per request at LOG_LEVEL=log (the default), which `npm run bench` runs
 * without (LOG_LEVEL=error, like BASE, which logs nothing): building the line from a request (requestLine) and
 * pino writing it, synchronously, to a file. The file is a temporary one; on a terminal or a pipe the write
 * syscall costs what the kernel makes it cost, and that part is printed apart.
 *
 *   npm run bench:log
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { destination } from 'pino';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createLogging } from '../libs/common/src/logging/logging';
import { requestLine } from '../libs/common/src/logging/request-log';

function cpuMicros(run: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 2000); i++) run();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

export function measureRequestLog(iterations = 50_000): { lineMicros: number; loggedMicros: number } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'listing-log-cost-'));
  try {
    const logging = createLogging('log', destination({ dest: path.join(dir, 'requests.log'), sync: true }));
    const request = {
      id: '9f0c7a3e-2b1d-4c6e-8f5a-1d2e3f4a5b6c',
      method: 'GET',
      url: '/listings/4711/prices?limit=100',
      ip: '127.0.0.1',
      routeOptions: { url: '/listings/:id/prices' },
    } as unknown as FastifyRequest;
    const reply = { statusCode: 200, elapsedTime: 3.1415 } as unknown as FastifyReply;
    const lineMicros = cpuMicros(() => requestLine(request, reply), iterations);
    const loggedMicros = cpuMicros(() => logging.logger.info(requestLine(request, reply), 'request completed'), iterations);
    return { lineMicros, loggedMicros };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const rounds = [1, 2, 3].map(() => measureRequestLog());
  for (const [i, r] of rounds.entries()) {
    process.stdout.write(`round ${i + 1}: request line built ${r.lineMicros.toFixed(2)} µs; built and written by pino ${r.loggedMicros.toFixed(2)} µs per request\n`);
  }
}
