import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfig } from '@app/common';
import { createApp } from '../../apps/api/src/create-app';

export interface TestApp {
  baseUrl: string;
  app: NestFastifyApplication;
  close(): Promise<void>;
}

/** The real application on a real port, against the run's test database. */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run e2e tests through jest (global setup creates the database)');
  const config = loadConfig({ LOG_LEVEL: 'error', NODE_ENV: 'test', ...env });
  const app = await createApp(config, url);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  return { baseUrl: `http://127.0.0.1:${address.port}`, app, close: () => app.close() };
}
