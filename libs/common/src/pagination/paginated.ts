import type { FastifyReply, FastifyRequest } from 'fastify';
import { Page, nextLink } from './page';

/** Sends a page as the contract's bare JSON array, with the next page in the Link header. */
export function sendPage<T>(request: FastifyRequest, reply: FastifyReply, page: Page<T>): T[] {
  if (page.nextCursor) void reply.header('link', nextLink(request.url, page.nextCursor));
  return page.items;
}
