import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Observable, map } from 'rxjs';
import type { ConditionalBody } from '../http/conditional-get';
import { type ApiHeaderObject, ApiResponseHeaders } from '../openapi/api-docs.decorators';
import { type Page, nextLink } from './page';

export interface PaginatedOptions {
  /** The query parameter that carries the cursor: `cursor` unless said otherwise. */
  cursorParam?: string;
  /**
   * A feed: every page links to the next poll, with the same cursor when the page is empty. Otherwise
   * the Link header is sent only when a next page exists.
   */
  always?: boolean;
}

/** Sends a Page as the contract's bare JSON array, with the next page in the Link header. */
export class PaginationInterceptor implements NestInterceptor {
  constructor(private readonly options: PaginatedOptions = {}) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { cursorParam = 'cursor', always = false } = this.options;
    return next.handle().pipe(
      map((page: Page<unknown> | undefined) => {
        // Nothing to send: a 304 of a page that is also a conditional GET.
        if (page === undefined) return undefined;
        if (always || page.nextCursor !== undefined) void reply.header('link', nextLink(request.url, page.nextCursor, cursorParam));
        return page.items;
      }),
    );
  }
}

const LINK_WHEN_MORE: Record<string, ApiHeaderObject> = {
  Link: {
    description: 'When more results exist: `<url>; rel="next"` (RFC 8288), the URL of the next page with its cursor.',
    schema: { type: 'string' },
  },
};

const LINK_ALWAYS: Record<string, ApiHeaderObject> = {
  Link: {
    description: 'Always: `<url>; rel="next"`, where to poll next (the same cursor when the page is empty).',
    schema: { type: 'string' },
  },
};

type PageResult = Page<unknown> | ConditionalBody<Page<unknown>>;

/**
 * A key-paginated list: the handler returns a Page (or a conditional one, see @ConditionalGet()), the
 * client gets its items as a JSON array and the next page's URL in `Link: <url>; rel="next"` (RFC 8288),
 * documented on the 200 response. The compiler checks that the handler returns a page.
 *
 * Its interceptor is the route's outermost whatever the order of the decorators: it shapes the body
 * that the others produced (a conditional GET's page, or nothing for its 304).
 */
export function Paginated(options: PaginatedOptions = {}) {
  const interceptor = new PaginationInterceptor(options);
  const document = ApiResponseHeaders(200, options.always ? LINK_ALWAYS : LINK_WHEN_MORE);
  return <Handler extends (...args: never[]) => PageResult | Promise<PageResult>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<Handler>): void => {
    const handler = descriptor.value as object;
    const inner = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? []) as unknown[];
    Reflect.defineMetadata(INTERCEPTORS_METADATA, [interceptor, ...inner], handler);
    document(target, key, descriptor);
  };
}
