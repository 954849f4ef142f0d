import { ExecutionContext, createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ReadSource } from '@app/database';

/**
 * Where a public read may be served from, decided once for every public read route. A request with an
 * Authorization header reads from the primary: its caller may be reading what it has just written
 * (PUT, then GET to check), and a replica may not have that yet, where the primary always has
 * (read-your-writes). Anonymous requests cannot have written anything, so a replica a moment behind
 * serves them as well as the primary would. The header is not verified on public routes: a made-up one
 * only moves that caller's reads to the primary, which is what its owner would get anyway.
 */
export const ReadFrom = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ReadSource =>
    context.switchToHttp().getRequest<FastifyRequest>().headers.authorization === undefined ? 'replica' : 'primary',
);
