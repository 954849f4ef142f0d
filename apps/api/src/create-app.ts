import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppConfig, AppLogging, createLogging, fastifyTrustProxy, logRequests, requestIdFor } from '@app/common';
import { setupApiDocs } from './api-docs';
import { AppModule } from './app.module';

/**
 * Builds the HTTP application (used by main.ts and by the e2e tests, so both run the same thing).
 * The caller decides where it listens, and may pass the logger (main.ts uses it before, tests read it).
 */
export async function createApp(
  config: AppConfig,
  databaseUrl: string,
  logging: AppLogging = createLogging(config.logLevel),
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    // Off unless TRUST_PROXY names the proxies (or their number): request.ip, which the rate limits and
    // the request lines use, is then the address they forwarded, and X-Forwarded-For from anyone else
    // is ignored.
    trustProxy: fastifyTrustProxy(config.trustProxy),
    genReqId: requestIdFor,
    // `__proto__` and `constructor` keys are kept by the JSON parser (JSON.parse makes them plain own
    // properties, harmless) so that the validation pipe rejects them as a 422 naming the field, like
    // every other unknown property, instead of the parser's anonymous 400. Nothing reads the body
    // before that pipe except the throttler's account key, which reads two named string fields.
    onProtoPoisoning: 'ignore',
    onConstructorPoisoning: 'ignore',
  });
  // The API speaks JSON only: without Fastify's text/plain parser any other body is a 415.
  adapter.getInstance().removeContentTypeParser('text/plain');
  logRequests(adapter.getInstance(), logging.logger);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, databaseUrl, logging), adapter, {
    // Held until nestjs-pino's Logger takes over, so that Nest's own start-up lines are JSON too.
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  // No enableShutdownHooks(): main.ts handles SIGTERM/SIGINT (drain HTTP first, then app.close(), then
  // exit 0). Nest's handler would close the database pools before the HTTP server, and re-raise the
  // signal after app.close(), so the process would end by the signal instead of exiting 0.
  setupApiDocs(app, config);
  return app;
}
