import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ConditionalBody, CONDITIONAL_GET_STEP } from '../http/conditional-get';
import { type HttpArgumentsHost, MapResult } from '../http/handler-result';
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

/** Where a page is cut into its items and Link among a handler's result steps: after a conditional GET's. */
export const PAGE_STEP = CONDITIONAL_GET_STEP + 10;

/** Sends a Page as the contract's bare JSON array, with the next page in the Link header. */
export function sendPage(page: Page<unknown> | undefined, http: HttpArgumentsHost, { cursorParam = 'cursor', always = false }: PaginatedOptions = {}): unknown[] | undefined {
  // Nothing to send: a 304 of a page that is also a conditional GET.
  if (page === undefined) return undefined;
  if (always || page.nextCursor !== undefined) {
    void http.getResponse<FastifyReply>().header('link', nextLink(http.getRequest<FastifyRequest>().url, page.nextCursor, cursorParam));
  }
  return page.items;
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
 */
export function Paginated(options: PaginatedOptions = {}) {
  const paginate = MapResult(PAGE_STEP, (page, http) => sendPage(page as Page<unknown> | undefined, http, options));
  const document = ApiResponseHeaders(200, options.always ? LINK_ALWAYS : LINK_WHEN_MORE);
  return <Handler extends (...args: never[]) => PageResult | Promise<PageResult>>(target: object, key: string | symbol, descriptor: TypedPropertyDescriptor<Handler>): void => {
    paginate(target, key, descriptor);
    document(target, key, descriptor);
  };
}
