import { createServer, type Server } from 'node:net';
import { startAppProcess } from './support/app-process';

/*
 * What a newcomer meets when `npm start` cannot work: one line naming the cause and the way out, an
 * exit within seconds, never a stack trace. Here: the port is taken (a second `npm start`, say).
 */
describe('start-up failures', () => {
  let blocker: Server;
  let port: number;

  beforeAll(async () => {
    // Holds the port; a connection to it is dropped at once, so a readiness probe fails fast.
    blocker = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as { port: number }).port;
  });

  afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

  it('a port already in use: exit 1 with one line saying so and what to do, no stack trace', async () => {
    const databaseUrl = process.env.TEST_DATABASE_URL;
    if (!databaseUrl) throw new Error('TEST_DATABASE_URL is not set: run e2e tests through jest');
    const started = Date.now();
    const failure = await startAppProcess({ databaseUrl, port, startTimeoutMs: 60_000 }).then(
      async (app) => {
        await app.stop();
        return 'it started';
      },
      (error: Error) => error.message,
    );
    expect(failure).toContain('exited (code 1) before it was ready');
    expect(failure).toContain(`Cannot listen on 127.0.0.1:${port}: the port is already in use (another instance still running?). Stop it, or set PORT to a free port.`);
    expect(failure).not.toMatch(/^\s+at /m);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);
});
