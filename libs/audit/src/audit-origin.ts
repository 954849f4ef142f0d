import { type ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * Where a change came from, as the audit log records it: the request id (the one in X-Request-Id and in the
 * request's log line) and the client IP (behind a proxy: from X-Forwarded-For, as TRUST_PROXY says). Passed
 * explicitly from the controller to the service, beside the caller: no AsyncLocalStorage, which cost more CPU
 * per request here than the whole request log line.
 */
export interface AuditOrigin {
  requestId: string;
  ip: string;
}

/** The request's AuditOrigin: two fields Fastify already has, nothing computed. */
export const RequestOrigin = createParamDecorator((_data: unknown, context: ExecutionContext): AuditOrigin => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return { requestId: request.id, ip: request.ip };
});
