import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { resolveJwtSecret } from '@app/auth';
import { AppConfig } from '@app/common';
import { setupApiDocs } from './api-docs';
import { AppModule } from './app.module';

/**
 * Builds the HTTP application (used by main.ts and by the e2e tests, so both run the same thing).
 * The caller decides where it listens.
 */
export async function createApp(config: AppConfig, databaseUrl: string): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: config.bodyLimitBytes, trustProxy: false });
  // The API speaks JSON only: without Fastify's text/plain parser any other body is a 415.
  adapter.getInstance().removeContentTypeParser('text/plain');
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl, resolveJwtSecret(config)), adapter, {
    logger: loggerLevels(config.logLevel),
    bufferLogs: false,
  });
  app.enableShutdownHooks();
  setupApiDocs(app, config);
  return app;
}

function loggerLevels(level: AppConfig['logLevel']): ('error' | 'warn' | 'log' | 'debug')[] {
  const order = ['error', 'warn', 'log', 'debug'] as const;
  return order.slice(0, order.indexOf(level) + 1);
}
