import { BadRequestException } from '@nestjs/common';
import { InstantOutOfRange, QueryInstant, QueryInstantValue, parseQueryInstant, readQueryInstant } from './query-instant';
import { ApiValidationPipe } from './validation';

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
    '1700000000',
    'yesterday',
  ])('%s is refused', (text) => {
    expect(parseQueryInstant(text)).toBeUndefined();
  });

  describe('the range the database stores: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z, offset and fraction applied', () => {
    it.each([
      ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z'],
      ['0001-01-01T23:59:00+23:59', '0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z'],
      ['0001-01-01T00:00:00-23:59', '0001-01-01T23:59:00.000Z', '0001-01-01T23:59:00.000Z'],
      ['0001-01-01T00:00:00.000000001Z', '0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.001Z'],
      ['0002-01-01T00:00:00+23:59', '0001-12-31T00:01:00.000Z', '0001-12-31T00:01:00.000Z'],
      // Written in year 0000, but in year 0001 once its offset is applied.
      ['0000-12-31T00:01:00-23:59', '0001-01-01T00:00:00.000Z', '0001-01-01T00:00:00.000Z'],
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
      ['9999-12-31T23:59:59.999000000Z', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
      ['9999-12-31T23:59:59.998999999Z', '9999-12-31T23:59:59.998Z', '9999-12-31T23:59:59.999Z'],
      ['9999-12-31T00:00:00-23:59', '9999-12-31T23:59:00.000Z', '9999-12-31T23:59:00.000Z'],
      ['9999-12-31T00:00:59.999-23:59', '9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
      ['9999-12-31T23:59:59+23:59', '9999-12-31T00:00:59.000Z', '9999-12-31T00:00:59.000Z'],
    ])('%s is in range: %s / %s', (text, atOrBefore, atOrAfter) => {
      expect(parsed(text)).toEqual({ atOrBefore, atOrAfter });
    });

    it.each([
      // Year 0001 pushed back into year 0000 by its offset, or by less than a millisecond.
      '0001-01-01T00:00:00+23:59',
      '0001-01-01T00:00:00+00:01',
      '0001-01-01T23:58:59.999+23:59',
      '0001-01-01T23:58:59.999999999+23:59',
      '0000-12-31T23:59:59.999Z',
      '0000-01-01T00:00:00Z',
      // Year 9999 pushed into year 10000 by its offset.
      '9999-12-31T23:59:59-23:59',
      '9999-12-31T23:59:59-00:01',
      '9999-12-31T00:01:00-23:59',
      // Past the last stored millisecond by less than one: atOrBefore is in range, atOrAfter is not.
      '9999-12-31T23:59:59.9999Z',
      '9999-12-31T23:59:59.999000001Z',
      '9999-12-31T23:59:59.999999999Z',
      '9999-12-31t23:59:59.9995z',
      '9999-12-31T00:00:59.9999-23:59',
    ])('%s is out of range', (text) => {
      expect(readQueryInstant(text)).toBeInstanceOf(InstantOutOfRange);
      expect(parseQueryInstant(text)).toBeUndefined();
    });

    it.each(['2026-12-31T23:59:60Z', '2026-06-30T23:59:60Z', '9999-12-31T23:59:60Z', '0001-01-01T00:00:60+23:59', '2026-12-31T23:59:60.5Z'])('the leap second %s is not an RFC 3339 date-time the service takes', (text) => {
      expect(readQueryInstant(text)).toBeUndefined();
    });

    it('9 fraction digits are kept to the nanosecond; 10 are refused', () => {
      const instant = readQueryInstant('2026-11-23T10:15:30.123456789+01:00');
      expect(instant).toBeInstanceOf(QueryInstantValue);
      const { atOrBefore, atOrAfter, nanoseconds } = instant as QueryInstantValue;
      expect([atOrBefore.toISOString(), atOrAfter.toISOString(), nanoseconds]).toEqual(['2026-11-23T09:15:30.123Z', '2026-11-23T09:15:30.124Z', 456_789]);
      expect(readQueryInstant('2026-11-23T10:15:30.1234567890Z')).toBeUndefined();
    });
  });

  describe('through the validation pipe, as a query parameter', () => {
    class Query {
      @QueryInstant({ optional: true })
      since?: QueryInstantValue;
    }
    const pipe = new ApiValidationPipe();
    const errorOf = async (since: string) => {
      try {
        await pipe.transform({ since }, { type: 'query', metatype: Query });
      } catch (error) {
        expect(error).toBeInstanceOf(BadRequestException);
        return { status: (error as BadRequestException).getStatus(), body: (error as BadRequestException).getResponse() };
      }
      throw new Error(`${since} was accepted`);
    };

    it('an instant out of range is a 400 naming the parameter and the range', async () => {
      for (const since of ['0001-01-01T00:00:00+23:59', '9999-12-31T23:59:59-23:59', '9999-12-31T23:59:59.9999Z']) {
        expect(await errorOf(since)).toEqual({
          status: 400,
          body: { message: 'Invalid query parameters', errors: [{ field: 'since', message: 'since must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z' }] },
        });
      }
    });

    it('the same status as a malformed one, whose message gives the format', async () => {
      for (const since of ['garbage', '2026-12-31T23:59:60Z']) {
        expect(await errorOf(since)).toEqual({
          status: 400,
          body: { message: 'Invalid query parameters', errors: [{ field: 'since', message: 'since must be an RFC 3339 date-time with a time zone, like 2026-11-23T10:15:30Z' }] },
        });
      }
    });

    it('the extremes of the range pass', async () => {
      for (const since of ['0001-01-01T23:59:00+23:59', '9999-12-31T00:00:00-23:59', '9999-12-31T23:59:59.999Z']) {
        const query = (await pipe.transform({ since }, { type: 'query', metatype: Query })) as Query;
        expect(query.since).toBeInstanceOf(QueryInstantValue);
      }
    });
  });
});
