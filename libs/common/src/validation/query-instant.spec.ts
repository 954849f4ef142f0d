import { parseQueryInstant } from './query-instant';

describe('RFC 3339 instants in query strings', () => {
  const parsed = (text: string) => {
    const instant = parseQueryInstant(text);
    return instant && { atOrBefore: instant.atOrBefore.toISOString(), atOrAfter: instant.atOrAfter.toISOString() };
  };

  it.each([
    ['2026-11-23T10:15:30Z', '2026-11-23T10:15:30.000Z'],
    ['2026-11-23t10:15:30z', '2026-11-23T10:15:30.000Z'],
    ['2026-11-23T10:15:30.123Z', '2026-11-23T10:15:30.123Z'],
    ['2026-11-23T10:15:30.5Z', '2026-11-23T10:15:30.500Z'],
    ['2026-11-23T11:15:30+01:00', '2026-11-23T10:15:30.000Z'],
    ['2026-11-23T05:45:30-04:30', '2026-11-23T10:15:30.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parsed(text)).toEqual({ atOrBefore: iso, atOrAfter: iso });
  });

  it('an instant between two stored milliseconds is bounded by both', () => {
    expect(parsed('2026-11-23T10:15:30.1234Z')).toEqual({ atOrBefore: '2026-11-23T10:15:30.123Z', atOrAfter: '2026-11-23T10:15:30.124Z' });
    expect(parsed('2026-11-23T10:15:30.123000000Z')).toEqual({ atOrBefore: '2026-11-23T10:15:30.123Z', atOrAfter: '2026-11-23T10:15:30.123Z' });
  });

  it('compares exactly, below the millisecond too', () => {
    const a = parseQueryInstant('2026-11-23T10:15:30.1234Z')!;
    const b = parseQueryInstant('2026-11-23T10:15:30.12341Z')!;
    expect([b.isAfter(a), a.isAfter(b), a.isAfter(a)]).toEqual([true, false, false]);
  });

  it.each([
    '2026-11-23',
    '2026-11-23T10:15:30',
    '2026-11-23 10:15:30Z',
    '2026-02-29T00:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-11-23T24:00:00Z',
    '2026-11-23T10:60:00Z',
    '2026-11-23T10:15:60Z',
    '2026-11-23T10:15:30+24:00',
    '2026-11-23T10:15:30.Z',
    '2026-11-23T10:15:30.1234567890Z',
    '0000-01-01T00:00:00Z',
    '1700000000',
    'yesterday',
  ])('%s is refused', (text) => {
    expect(parseQueryInstant(text)).toBeUndefined();
  });
});
