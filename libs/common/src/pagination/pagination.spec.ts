import { BadRequestException } from '@nestjs/common';
import { decodeCursor, encodeCursor, isId, isIsoTimestamp } from './cursor';
import { nextLink, toPage } from './page';

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
