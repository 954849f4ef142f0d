import type { LoggerService } from '@nestjs/common';
import { Logger as NestPinoLogger, type Params, PinoLogger } from 'nestjs-pino';
import { type DestinationStream, type Logger as Pino, destination, pino, stdTimeFunctions } from 'pino';
import { build as prettyStream } from 'pino-pretty';
import type { AppConfig } from '../config/app-config';

/** LOG_LEVEL (Nest's names) as pino levels. Nest's `verbose` is pino's `trace`: below `debug`, never shown. */
const PINO_LEVELS = { error: 'error', warn: 'warn', log: 'info', debug: 'debug' } as const satisfies Record<AppConfig['logLevel'], string>;

/**
 * Censored in what Nest logs, wherever they appear at the top of a logged object or one level down:
 * the net for a future `logger.log({ ...body })`. Not applied to request lines, which are built field
 * by field (request-log.ts) and are the hot path: pino's redaction about doubles the cost of a line.
 */
const SECRETS = ['password', 'current_password', 'new_password', 'access_token', 'refresh_token', 'authorization', 'cookie', 'jwtSecret', 'adminPassword', 'metricsToken'];
const REDACTED_PATHS = [...SECRETS, ...SECRETS.map((key) => `*.${key}`), 'req.headers.authorization', 'req.headers.cookie'];

/** The process' pino logger, in two forms, and what nestjs-pino is configured with. */
export interface AppLogging {
  /** Request lines (request-log.ts). */
  logger: Pino;
  /** The same logger with secrets censored: what every Nest log goes through (nestjs-pino's Logger). */
  appLogger: Pino;
  /** For nestjs-pino's LoggerModule.forRoot. */
  params: Params;
}

/**
 * JSON lines on stdout; pino-pretty's human-readable, coloured lines when stdout is a terminal. Written
 * synchronously: nothing is lost when the process exits right after a log (a failed start, a shutdown).
 */
export function stdoutLogDestination(): DestinationStream {
  return process.stdout.isTTY ? prettyStream({ sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : destination({ dest: 1, sync: true });
}

export function createLogging(level: AppConfig['logLevel'], output: DestinationStream = stdoutLogDestination()): AppLogging {
  const logger = pino(
    {
      level: PINO_LEVELS[level],
      timestamp: stdTimeFunctions.isoTime,
      // "level":"info" rather than 30: readable without a lookup table.
      formatters: { level: (label) => ({ level: label }) },
    },
    output,
  );
  const appLogger = logger.child({}, { redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
  return {
    logger,
    appLogger,
    params: {
      pinoHttp: { logger: appLogger },
      // No nestjs-pino middleware (pino-http, and an AsyncLocalStorage context per request). Its default
      // route, `{/*splat}`, matches nothing but `/` on @nestjs/platform-fastify 12.5; its request line
      // could not name the matched route or the user; and the context cost more CPU per request than
      // the line itself. Fastify hooks write the line (request-log.ts); the exception filter logs an
      // unexpected error with the request id.
      forRoutes: [],
    },
  };
}

/**
 * Nest's Logger API over the same pino logger, for what is logged before the application exists
 * (main.ts: the embedded database, a failed start). The application itself gets nestjs-pino's Logger
 * through dependency injection (`app.useLogger(app.get(Logger))`); both write through one pino logger.
 */
export function nestLoggerFor(logging: AppLogging): LoggerService {
  return new NestPinoLogger(new PinoLogger(logging.params), logging.params);
}
