import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy } from 'class-validator';

/**
 * An instant given in a query string, as the database can compare it: timestamps are stored to the
 * millisecond, so an instant with a finer fraction lies between two of them. `atOrBefore` is the last
 * stored millisecond not after it (for "in force at"), `atOrAfter` the first one not before it (for
 * "at or after" and "before"): for a stored `t`, `t <= instant` exactly when `t <= atOrBefore`, and
 * `t >= instant` exactly when `t >= atOrAfter`.
 */
export class QueryInstantValue {
  constructor(
    readonly atOrBefore: Date,
    readonly atOrAfter: Date,
    /** Nanoseconds after atOrBefore (0 to 999 999): with it, two instants compare exactly. */
    readonly nanoseconds: number,
  ) {}

  isAfter(other: QueryInstantValue): boolean {
    const ms = this.atOrBefore.getTime() - other.atOrBefore.getTime();
    return ms > 0 || (ms === 0 && this.nanoseconds > other.nanoseconds);
  }
}

// RFC 3339 date-time: a time zone is required (Z or an offset), any number of fraction digits.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

/**
 * The instants a query may name: those the database stores and RFC 3339 can write, years 0001 to 9999
 * (PostgreSQL has no year 0, and `toISOString` writes years past 9999 as `+010000`, which PostgreSQL
 * refuses), to the millisecond. An instant is checked once its offset and fraction are applied, so that
 * `0001-01-01T00:00:00+23:59` (year 0000 in UTC) or `9999-12-31T23:59:59.9999Z` (whose first stored
 * millisecond at or after it is in year 10000) never reach the database, whatever form the date takes
 * there (node-postgres writes a Date in the process' local time zone: from 1 BC to year 10000 at the
 * extremes, which PostgreSQL, good for 4713 BC to 294276 AD, takes).
 */
export const QUERY_INSTANT_MIN = '0001-01-01T00:00:00Z';
export const QUERY_INSTANT_MAX = '9999-12-31T23:59:59.999Z';
const MIN_MS = Date.parse(QUERY_INSTANT_MIN);
const MAX_MS = Date.parse(QUERY_INSTANT_MAX);

/** An RFC 3339 date-time outside QUERY_INSTANT_MIN..QUERY_INSTANT_MAX: refused with a message naming the range. */
export class InstantOutOfRange {
  constructor(readonly text: string) {}
}

/**
 * Reads an RFC 3339 date-time ("2026-11-23T10:15:30Z", "2026-11-23T11:15:30.5+01:00"), checking every
 * field's range (JavaScript's Date.parse accepts February 30th). Leap seconds (":60") are refused.
 * Undefined when the text is not one; InstantOutOfRange when it is one outside the range the database
 * stores (year 0000 included: PostgreSQL has none): atOrBefore and atOrAfter must both be in it.
 */
export function readQueryInstant(text: string): QueryInstantValue | InstantOutOfRange | undefined {
  const match = RFC3339.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const fraction = match[7] ?? '';
  const offsetHours = match[10] === undefined ? 0 : Number(match[10]);
  const offsetMinutes = match[11] === undefined ? 0 : Number(match[11]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const sign = match[9] === '-' ? -1 : 1;
  const atOrBefore = date.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
  const nanoseconds = Number(fraction.slice(3).padEnd(6, '0'));
  const atOrAfter = nanoseconds > 0 ? atOrBefore + 1 : atOrBefore;
  if (atOrBefore < MIN_MS || atOrAfter > MAX_MS) return new InstantOutOfRange(text);
  return new QueryInstantValue(new Date(atOrBefore), new Date(atOrAfter), nanoseconds);
}

/** The instant of an RFC 3339 date-time within the range the database stores; undefined for anything else. */
export function parseQueryInstant(text: string): QueryInstantValue | undefined {
  const instant = readQueryInstant(text);
  return instant instanceof QueryInstantValue ? instant : undefined;
}

export const QUERY_INSTANT_MESSAGE = '$property must be an RFC 3339 date-time with a time zone, like 2026-11-23T10:15:30Z';
export const QUERY_INSTANT_RANGE_MESSAGE = `$property must be between ${QUERY_INSTANT_MIN} and ${QUERY_INSTANT_MAX}`;
/** What the OpenAPI description of each such parameter says of its values, after "RFC 3339 with a time zone". */
export const QUERY_INSTANT_RANGE_DOC = `between \`${QUERY_INSTANT_MIN}\` and \`${QUERY_INSTANT_MAX}\`, without a leap second (\`:60\`)`;

/**
 * A query-string RFC 3339 date-time, turned into a QueryInstantValue. Not one: a 400 saying what the
 * format is; one outside the range the database stores: a 400 naming the range.
 */
export function QueryInstant(options: { optional: boolean }) {
  return applyDecorators(
    ...(options.optional ? [IsOptional()] : []),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? (readQueryInstant(value) ?? value) : value)),
    ValidateBy({
      name: 'isQueryInstant',
      validator: {
        validate: (value: unknown) => value instanceof QueryInstantValue,
        defaultMessage: (args) => (args?.value instanceof InstantOutOfRange ? QUERY_INSTANT_RANGE_MESSAGE : QUERY_INSTANT_MESSAGE),
      },
    }),
  );
}

/** This instant must be later than the one named `earlier` (when both are given and valid): `to` after `from`. */
export function InstantAfter(earlier: string) {
  return ValidateBy({
    name: 'instantAfter',
    constraints: [earlier],
    validator: {
      validate: (value: unknown, args) => {
        const other = (args?.object as Record<string, unknown> | undefined)?.[earlier];
        return !(value instanceof QueryInstantValue) || !(other instanceof QueryInstantValue) || value.isAfter(other);
      },
      defaultMessage: () => `$property must be later than ${earlier}`,
    },
  });
}
