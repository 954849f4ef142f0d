import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { DestinationStream } from 'pino';
import { ensureAdmin } from '@app/users';
import { createLogging, loadConfig } from '@app/common';
import { PrismaService } from '@app/database';
import { DeliveryQueue } from '@app/webhooks';
import { createApp } from '../../apps/api/src/create-app';
import { ApiClient } from './http';

export const TEST_JWT_SECRET = 'test-secret-for-the-e2e-suite-only-0123456789';

export interface TestApp {
  baseUrl: string;
  app: NestFastifyApplication;
  /** An anonymous client. */
  api: ApiClient;
  prisma: PrismaService;
  close(): Promise<void>;
}

/**
 * The real application on a real port, against the run's test database (or `databaseUrl`). Its logs go
 * to stdout, or to `logOutput` (see test/support/log-capture.ts).
 */
export async function startTestApp(env: Record<string, string> = {}, databaseUrl?: string, logOutput?: DestinationStream): Promise<TestApp> {
  const url = databaseUrl ?? process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run e2e tests through jest (global setup creates the database)');
  const config = loadConfig({
    LOG_LEVEL: 'error',
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    // Every test signs in from 127.0.0.1; the rate-limit test sets its own low limits.
    AUTH_RATE_LIMIT_PER_IP: '100000',
    AUTH_RATE_LIMIT_PER_ACCOUNT: '100000',
    ...env,
  });
  const app = await createApp(config, url, logOutput ? createLogging(config.logLevel, logOutput) : undefined);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  return { baseUrl, app, api: new ApiClient(baseUrl), prisma: app.get(PrismaService), close: () => app.close() };
}

let accounts = 0;

export interface SignedIn {
  id: number;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
  /** A client that sends this account's access token. */
  api: ApiClient;
}

export function uniqueEmail(prefix = 'user'): string {
  accounts += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${accounts}@example.test`;
}

/** Registers a new account through the API and signs in with it. */
export async function signUp(testApp: TestApp, prefix = 'user'): Promise<SignedIn> {
  const email = uniqueEmail(prefix);
  const password = 'correct horse battery staple';
  const registered = await testApp.api.post<{ id: number }>('/auth/register', { email, password });
  if (registered.status !== 201) throw new Error(`register failed: ${registered.status} ${registered.text}`);
  return signIn(testApp, email, password, registered.body.id);
}

export async function signIn(testApp: TestApp, email: string, password: string, id: number): Promise<SignedIn> {
  const login = await testApp.api.post<{ access_token: string; refresh_token: string }>('/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.text}`);
  const { access_token: accessToken, refresh_token: refreshToken } = login.body;
  return { id, email, password, accessToken, refreshToken, api: testApp.api.as(accessToken) };
}

/** An admin account: created the way ADMIN_EMAIL/ADMIN_PASSWORD create one at startup. */
export async function signUpAdmin(testApp: TestApp): Promise<SignedIn> {
  const email = uniqueEmail('admin');
  const password = 'admin password for tests';
  await ensureAdmin(testApp.prisma, email, password);
  const user = await testApp.prisma.user.findUniqueOrThrow({ where: { email }, select: { id: true } });
  return signIn(testApp, email, password, user.id);
}

/**
 * Until the application's webhook queue is created (it starts in the background, seconds after listen on a
 * loaded machine), a ping or a delivery retry is refused with a 503: tests that send those wait for it first.
 */
export async function webhooksStarted(testApp: TestApp, timeoutMs = 30_000): Promise<void> {
  const queue = testApp.app.get(DeliveryQueue);
  const deadline = Date.now() + timeoutMs;
  while (!queue.ready) {
    if (Date.now() > deadline) throw new Error(`the webhook queue was not ready ${timeoutMs} ms after the start`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
