import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Inject, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DatabaseErrorKind, databaseErrorKind, databaseUnavailableCause } from '@app/database';
import { ApiErrorBody } from './api-error';
import { DATABASE_OUTAGE_REPORTER, type DatabaseOutageReporter, RETRY_AFTER_SECONDS } from './database-unavailable';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message?: string;
}

/** Database errors a request can cause (classified by libs/database), as HTTP answers. */
const DATABASE_ERROR_STATUS: Record<DatabaseErrorKind, { status: number; message: string }> = {
  'unique-violation': { status: HttpStatus.CONFLICT, message: 'A resource with the same unique value already exists' },
  'missing-reference': { status: HttpStatus.CONFLICT, message: 'The operation refers to a resource that does not exist or is still referenced' },
  'not-found': { status: HttpStatus.NOT_FOUND, message: 'Resource not found' },
  'transaction-wait': { status: HttpStatus.SERVICE_UNAVAILABLE, message: 'The service is busy, retry shortly' },
};

/** Fastify's own errors (raised before a route handler runs) with the message a client should read. */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'Malformed JSON in request body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body is empty but Content-Type is application/json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'Request body is too large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported Content-Type: send application/json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'Content-Length does not match the body',
};

/**
 * Turns anything thrown while handling a request into `{ message, errors? }` with the right status.
 * Unknown errors become a 500 whose details stay in the log, never in the response.
 */
export interface ErrorResponse {
  status: number;
  body: ApiErrorBody;
  /** Set on 503s: seconds the client should wait before retrying. */
  retryAfter?: number;
  /** Set when the database could not serve the request: why, in a few log-safe words. */
  databaseUnavailable?: string;
}

export function toErrorResponse(exception: unknown, logger: Logger, requestId?: string): ErrorResponse {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // Nest wraps Fastify's own errors (raised before a handler runs) in an HttpException.
    const fastifyCode = (exception.cause as FastifyLikeError | undefined)?.code;
    if (fastifyCode && fastifyCode in FASTIFY_MESSAGES) return { status, body: { message: FASTIFY_MESSAGES[fastifyCode] } };
    const response = exception.getResponse();
    if (typeof response === 'string') return { status, body: { message: response } };
    const { message, errors } = response as { message?: unknown; errors?: ApiErrorBody['errors'] };
    const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : exception.message;
    // Every 503 says when to come back, whoever raised it.
    const retryAfter = status === 503 ? { retryAfter: RETRY_AFTER_SECONDS } : {};
    return { status, body: errors ? { message: text, errors } : { message: text }, ...retryAfter };
  }
  const kind = databaseErrorKind(exception);
  if (kind) {
    const mapped = DATABASE_ERROR_STATUS[kind];
    const retryAfter = mapped.status === 503 ? { retryAfter: RETRY_AFTER_SECONDS } : {};
    return { status: mapped.status, body: { message: mapped.message }, ...retryAfter };
  }
  // Not logged here (one request, one stack): DatabaseAvailability logs an outage once and its end.
  const databaseUnavailable = databaseUnavailableCause(exception);
  if (databaseUnavailable) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { message: 'The database is unavailable: retry shortly' },
      retryAfter: RETRY_AFTER_SECONDS,
      databaseUnavailable,
    };
  }
  const detail = exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
  // With the request id, the line is found from the X-Request-Id the client got back.
  logger.error(requestId === undefined ? detail : { requestId, msg: detail });
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { message: 'Internal server error' } };
}

@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  constructor(@Optional() @Inject(DATABASE_OUTAGE_REPORTER) private readonly outages?: DatabaseOutageReporter) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const { status, body, retryAfter, databaseUnavailable } = toErrorResponse(exception, this.logger, http.getRequest<FastifyRequest>().id);
    if (databaseUnavailable) {
      if (this.outages) this.outages.failed(databaseUnavailable);
      else this.logger.warn(`Database unavailable: ${databaseUnavailable}`);
    }
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }
}
