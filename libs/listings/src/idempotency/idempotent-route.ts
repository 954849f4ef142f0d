import { type ExecutionContext, applyDecorators, createParamDecorator } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiResponseHeaders, MapResult } from '@app/common';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENT_REPLAYED_HEADER, parseIdempotencyKey, requestHash } from './idempotency-key';
import type { IdempotentRequest, IdempotentResult } from './idempotency.service';

/**
 * The request's Idempotency-Key with the hash of its body, or undefined when it has none; a malformed
 * key is a 400. Read by calling it, in the handler: the pipes have validated the body by then, so a body
 * that breaks the input rules is a 422 first, whatever the key. The body is hashed as the client sent
 * it: the same request is the same JSON, whatever its key order.
 */
export const IdempotencyKey = createParamDecorator((_data: unknown, context: ExecutionContext): (() => IdempotentRequest | undefined) => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return () => {
    const key = parseIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    return key === undefined ? undefined : { key, hash: requestHash(request.body) };
  };
});

/**
 * A create that an Idempotency-Key makes safe to retry: the handler reads the key with
 * @IdempotencyKey() and returns the service's IdempotentResult; a replay gets the route's status
 * (@HttpCode) and the stored body, marked. Documents the request header and the replay header.
 */
export function Idempotent(): MethodDecorator {
  return applyDecorators(
    // Sends the result's body, marked when it is a stored response.
    MapResult(0, (result, http) => {
      const { body, replayed } = result as IdempotentResult<unknown>;
      if (replayed) void http.getResponse<FastifyReply>().header(IDEMPOTENT_REPLAYED_HEADER, 'true');
      return body;
    }),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: '1 to 255 visible ASCII characters (the quoted form `"..."` is accepted too): makes retries of this create safe for 24 hours.',
      schema: { type: 'string', minLength: 1, maxLength: 257 },
    }),
    ApiResponseHeaders(201, {
      'Idempotent-Replayed': { description: '`true` when this is the stored response to an earlier request with the same Idempotency-Key.', schema: { type: 'string', enum: ['true'] } },
    }),
  );
}
