import pg from 'pg';
import { isoOf, wireTimestamp } from './wire-timestamps';

const parseAsDate = pg.types.getTypeParser(1184, 'text') as (text: string) => Date;
const viaDate = (text: string) => parseAsDate(text).toISOString();

describe('wireTimestamp: PostgreSQL timestamptz text to the API’s RFC 3339 UTC string', () => {
  it.each([
    '2026-11-20 09:12:44.518+00',
    '2026-11-20 09:12:44.5+00',
    '2026-11-20 09:12:44.05+00',
    '2026-11-20 09:12:44+00',
    '1999-12-31 23:59:59.999+00',
  ])('%s (a UTC session, milliseconds) reads as new Date(…).toISOString() does', (text) => {
    expect(wireTimestamp(text)).toBe(viaDate(text));
  });

  it.each([
    '2026-11-20 10:12:44.518+01',
    '2026-11-20 14:42:44.518+05:30',
    '2026-11-20 09:12:44.518123+00',
    '0044-03-15 10:00:00+00 BC',
    '12026-11-20 09:12:44.518+00',
  ])('%s (another offset, microseconds, an unusual year) falls back to the parser, with the same result', (text) => {
    expect(wireTimestamp(text)).toBe(viaDate(text));
  });

  it('isoOf formats a Date and passes a wire string through', () => {
    expect(isoOf(new Date(Date.UTC(2026, 10, 20, 9, 12, 44, 518)))).toBe('2026-11-20T09:12:44.518Z');
    expect(isoOf('2026-11-20T09:12:44.518Z')).toBe('2026-11-20T09:12:44.518Z');
  });
});
