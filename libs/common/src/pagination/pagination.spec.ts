import { BadRequestException } from '@nestjs/common';
import { ConditionalBody, ConditionalGet, entityTag } from '../http/conditional-get';
import type { HttpArgumentsHost } from '../http/handler-result';
import { decodeCursor, encodeCursor, isId, isIsoTimestamp } from './cursor';
import { type Page, nextLink, toPage } from './page';
import { Paginated, type PaginatedOptions, sendPage } from './paginated';

describe('cursors', () => {
  const parseId = (raw: Record<string, unknown>) => (isId(raw.id) ? raw.id : undefined);

  it('round-trip the position they encode', () => {
    expect(decodeCursor(encodeCursor({ id: 42 }), parseId)).toBe(42);
  });

  it('are URL-safe', () => {
    expect(encodeCursor({ at: '2026-01-01T00:00:00.000Z', id: '18446744073709551615' })).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each(['', '!!!', encodeCursor({ id: -1 }), encodeCursor({ id: 'a' }), Buffer.from('[1]').toString('base64url'), Buffer.from('null').toString('base64url')])(
    'reject %j with a 400',
    (cursor) => {
      expect(() => decodeCursor(cursor, parseId)).toThrow(BadRequestException);
    },
  );

  it('accept only millisecond UTC timestamps as positions', () => {
    expect(isIsoTimestamp('2026-11-23T10:15:30.123Z')).toBe(true);
    expect(isIsoTimestamp('2026-11-23T10:15:30Z')).toBe(false);
    expect(isIsoTimestamp('2026-13-45T10:15:30.123Z')).toBe(false);
  });
});

describe('pages', () => {
  const rows = [1, 2, 3, 4];

  it('keep `limit` rows and point the cursor at the last one kept when a further row exists', () => {
    expect(toPage(rows, 3, (n) => n * 10, (n) => `after-${n}`)).toEqual({ items: [10, 20, 30], nextCursor: 'after-3' });
  });

  it('have no cursor when the extra row is absent', () => {
    expect(toPage(rows, 4, (n) => n, String)).toEqual({ items: rows, nextCursor: undefined });
  });

  it('link to the next page keeping the path and every other parameter', () => {
    expect(nextLink('/listings?limit=5&city=Paris&cursor=old', 'new')).toBe('</listings?limit=5&city=Paris&cursor=new>; rel="next"');
  });
});

/** A request and a reply as a result step sees them. */
function exchange(url: string, headers: Record<string, string> = {}) {
  const sent: Record<string, string> = {};
  const reply = {
    statusCode: 200,
    header: (name: string, value: string) => ((sent[name] = value), reply),
    status: (code: number) => ((reply.statusCode = code), reply),
    removeHeader: () => reply,
  };
  return { sent, reply, http: { getRequest: () => ({ url, headers }), getResponse: () => reply } as unknown as HttpArgumentsHost };
}

describe('@Paginated()', () => {
  const send = (url: string, page: Page<number> | undefined, options?: PaginatedOptions) => {
    const { sent, http } = exchange(url);
    return { body: sendPage(page, http, options), link: sent.link };
  };

  it('sends the items as the body and the next page in the Link header, only when there is one', () => {
    expect(send('/listings?limit=2', { items: [1, 2], nextCursor: 'c2' })).toEqual({ body: [1, 2], link: '</listings?limit=2&cursor=c2>; rel="next"' });
    expect(send('/listings?limit=2&cursor=c2', { items: [3] })).toEqual({ body: [3], link: undefined });
  });

  it('a feed always links to the next poll, in its own parameter, without one when it has no position yet', () => {
    const feed = { cursorParam: 'after', always: true };
    expect(send('/listings/changes?after=a1', { items: [], nextCursor: 'a1' }, feed)).toEqual({ body: [], link: '</listings/changes?after=a1>; rel="next"' });
    expect(send('/listings/changes?limit=5', { items: [] }, feed)).toEqual({ body: [], link: '</listings/changes?limit=5>; rel="next"' });
  });

  it('passes a 304 (no body) through without a Link', () => {
    expect(send('/listings/1/prices', undefined)).toEqual({ body: undefined, link: undefined });
  });

  it('cuts the page after a conditional GET resolved it, whichever decorator comes first; the handler gets the request after its own arguments', async () => {
    const page: Page<number> = { items: [1, 2], nextCursor: 'c2' };
    const conditional = (id: number) => ConditionalBody.deferred([id, 'v1'], () => Promise.resolve(page));
    class Routes {
      @Paginated()
      @ConditionalGet('prices')
      below(id: number): ConditionalBody<Page<number>> {
        return conditional(id);
      }

      @ConditionalGet('prices')
      @Paginated()
      above(id: number): ConditionalBody<Page<number>> {
        return conditional(id);
      }
    }
    const call = (route: 'below' | 'above', headers: Record<string, string> = {}) => {
      const { sent, reply, http } = exchange('/listings/7/prices?limit=2', headers);
      // What Nest passes: the handler's own argument, then the request and reply of the call.
      const handler = Routes.prototype[route] as unknown as (id: number, http: HttpArgumentsHost) => Promise<unknown>;
      return handler.call(new Routes(), 7, http).then((body) => ({ body, status: reply.statusCode, sent }));
    };
    const etag = entityTag('prices', 7, 'v1');
    for (const route of ['below', 'above'] as const) {
      expect(await call(route)).toEqual({ body: [1, 2], status: 200, sent: { etag, 'cache-control': 'no-cache', link: '</listings/7/prices?limit=2&cursor=c2>; rel="next"' } });
      expect(await call(route, { 'if-none-match': etag })).toEqual({ body: undefined, status: 304, sent: { etag, 'cache-control': 'no-cache' } });
    }
  });
});
