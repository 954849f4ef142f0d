import { BadRequestException, type ExecutionContext, UseInterceptors } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants.js';
import { lastValueFrom, of } from 'rxjs';
import { ConditionalGetInterceptor } from '../http/conditional-get';
import { decodeCursor, encodeCursor, isId, isIsoTimestamp } from './cursor';
import { type Page, nextLink, toPage } from './page';
import { Paginated, PaginationInterceptor } from './paginated';

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

describe('@Paginated()', () => {
  const send = async (interceptor: PaginationInterceptor, url: string, page: Page<number> | undefined) => {
    const headers: Record<string, string> = {};
    const reply = { header: (name: string, value: string) => ((headers[name] = value), reply) };
    const http = { getRequest: () => ({ url }), getResponse: () => reply };
    const context = { switchToHttp: () => http } as unknown as ExecutionContext;
    const body = await lastValueFrom(interceptor.intercept(context, { handle: () => of(page) }));
    return { body, link: headers.link };
  };

  it('sends the items as the body and the next page in the Link header, only when there is one', async () => {
    const interceptor = new PaginationInterceptor();
    expect(await send(interceptor, '/listings?limit=2', { items: [1, 2], nextCursor: 'c2' })).toEqual({ body: [1, 2], link: '</listings?limit=2&cursor=c2>; rel="next"' });
    expect(await send(interceptor, '/listings?limit=2&cursor=c2', { items: [3] })).toEqual({ body: [3], link: undefined });
  });

  it('a feed always links to the next poll, in its own parameter, without one when it has no position yet', async () => {
    const interceptor = new PaginationInterceptor({ cursorParam: 'after', always: true });
    expect(await send(interceptor, '/listings/changes?after=a1', { items: [], nextCursor: 'a1' })).toEqual({ body: [], link: '</listings/changes?after=a1>; rel="next"' });
    expect(await send(interceptor, '/listings/changes?limit=5', { items: [] })).toEqual({ body: [], link: '</listings/changes?limit=5>; rel="next"' });
  });

  it('passes a 304 (no body) through without a Link', async () => {
    expect(await send(new PaginationInterceptor(), '/listings/1/prices', undefined)).toEqual({ body: undefined, link: undefined });
  });

  it('is the outermost interceptor of its route, whichever decorator comes first', () => {
    const conditional = new ConditionalGetInterceptor('prices');
    class Routes {
      @Paginated()
      @UseInterceptors(conditional)
      below(): Promise<Page<number>> {
        return Promise.resolve({ items: [] });
      }

      @UseInterceptors(conditional)
      @Paginated()
      above(): Promise<Page<number>> {
        return Promise.resolve({ items: [] });
      }
    }
    for (const handler of [Routes.prototype.below, Routes.prototype.above]) {
      const interceptors = Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as object[];
      expect(interceptors.map((i) => i.constructor)).toEqual([PaginationInterceptor, ConditionalGetInterceptor]);
    }
  });
});
