import fc from 'fast-check';
import type { Schema } from './operations';

/**
 * Values from JSON schemas: `validValue` satisfies every keyword of the schema, `brokenValue` breaks
 * exactly one of them (type, minimum, maximum, multipleOf, minLength, maxLength, pattern, enum, format,
 * required, additionalProperties: false) or one rule the API documents for every string (no lone
 * UTF-16 surrogate). Strings draw on code points that trip length counting, normalisation and
 * escaping (combining marks, variation selectors, astral characters, U+2028, quotes, backslashes).
 */

/** A value decided when the request is sent, because it depends on the fuzzer's world (an existing account's email, a live refresh token). */
export class Placeholder {
  constructor(
    readonly kind: string,
    readonly pick: number,
  ) {}
  toString(): string {
    return `<${this.kind}#${this.pick}>`;
  }
}

/** How a value breaks its schema: a JSON-schema keyword, or a rule the API documents beyond the schema. */
export interface Broken {
  value: unknown;
  why: string;
  rule: 'schema' | 'documented';
}

/** Values for named properties or parameters that make success likely (an existing email, the caller's password). Each must satisfy the schema. */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

const SPECIAL_CODE_POINTS = [
  0xe9, 0x301, 0xfe0f, 0xfe0e, 0x200d, 0x200b, 0xfeff, 0x2028, 0x2029, 0x202e, 0x1f600, 0x1f3fd, 0x1f1eb, 0x10ffff, 0xfffd, 0x20, 0x09, 0x0a, 0x0d, 0x22,
  0x5c, 0x27, 0x3c, 0x25, 0x26, 0x2b, 0x2f, 0x3f, 0x23, 0xdf, 0x130, 0x131, 0xa0, 0x3000, 0x7f, 0x1b, 0x661,
];

/** One code point, never U+0000 and never a surrogate (those are what `brokenValue` uses). */
export const codePoint: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }) },
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_CODE_POINTS) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 0x10ffff }).filter((cp) => cp < 0xd800 || cp > 0xdfff) },
);

/** A string of exactly `min` to `max` code points (the JSON-schema length), biased to both ends. */
export function textOfLength(min: number, max: number): fc.Arbitrary<string> {
  const short = fc.array(codePoint, { minLength: min, maxLength: Math.min(max, min + 12) });
  const padded = (length: number) =>
    fc.tuple(fc.array(codePoint, { maxLength: Math.min(length, 8) }), codePoint).map(([start, fill]) => [...start, ...Array<number>(length - start.length).fill(fill)]);
  const sized = fc.integer({ min, max }).chain((length) => padded(length));
  return fc.oneof({ weight: 4, arbitrary: short }, { weight: 1, arbitrary: padded(max) }, { weight: 1, arbitrary: sized }).map((cps) => String.fromCodePoint(...cps));
}

export function codePointLength(text: string): number {
  return [...text].length;
}

const EMAIL_LOCAL = fc.array(fc.stringMatching(/^[a-z0-9!#$%&'*+/=?^_`{|}~-]{1,8}$/), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
const EMAIL_DOMAIN = fc
  .tuple(fc.array(fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/), { minLength: 1, maxLength: 3 }), fc.stringMatching(/^[a-z]{2,6}$/))
  .map(([labels, tld]) => [...labels, tld].join('.'));
/**
 * RFC 5321 addresses with a dot-atom local part (every character RFC 5322 allows there) and a domain
 * whose top level is alphabetic, in any letter case. (ajv-formats also takes `a@b.c` and `a@1.2`; the
 * service wants a real top-level domain, and so does the README's "email address".)
 */
export const emailAddress: fc.Arbitrary<string> = fc
  .tuple(EMAIL_LOCAL, EMAIL_DOMAIN, fc.boolean())
  .map(([local, domain, upper]) => (upper ? `${local}@${domain}`.toUpperCase() : `${local}@${domain}`));

/**
 * RFC 3339 date-times between years 0001 and 9999, with or without a fraction (up to 9 digits), in Z or an
 * offset, all within the range the service takes (see dateTimeAtTheBounds for its ends).
 */
export const dateTime: fc.Arbitrary<string> = fc
  .tuple(
    fc.date({ min: new Date('0001-01-02T00:00:00.000Z'), max: new Date('9999-12-30T23:59:59.999Z'), noInvalidDate: true }),
    fc.integer({ min: 0, max: 9 }),
    fc.integer({ min: 0, max: 999_999 }),
    fc.oneof(fc.constant(0), fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 })),
    fc.boolean(),
  )
  .map(([date, digits, extra, offset, lower]) => formatDateTime(date, digits, extra, offset, lower));

export function formatDateTime(date: Date, fractionDigits: number, extraNanos: number, offsetMinutes: number, lowerCase = false): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const fraction = `${pad(local.getUTCMilliseconds(), 3)}${pad(extraNanos, 6)}`.slice(0, fractionDigits);
  const zone = offsetMinutes === 0 ? 'Z' : `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
  const text = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${fraction ? `.${fraction}` : ''}${zone}`;
  return lowerCase ? text.toLowerCase() : text;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/** RFC 3339 `date-time` (section 5.6), strictly: ajv-formats also accepts a space for the T and `+0100`. */
export function isRfc3339DateTime(text: string): boolean {
  const match = RFC3339.exec(text);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  const zoneOk = match[7] === undefined || (Number(match[7]) <= 23 && Number(match[8]) <= 59);
  return month >= 1 && month <= 12 && day >= 1 && day <= (days ?? 0) && hour <= 23 && minute <= 59 && second <= 60 && zoneOk;
}

/**
 * The instants a date query parameter may name, as the OpenAPI descriptions state ("between
 * `0001-01-01T00:00:00Z` and `9999-12-31T23:59:59.999Z`, without a leap second"): the exact instant, its
 * offset and fraction applied, must lie within them.
 */
export const INSTANT_MIN_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const INSTANT_MAX_MS = Date.parse('9999-12-31T23:59:59.999Z');

/** Why the service refuses an RFC 3339 date-time in a query although the format allows it; undefined when it takes it. */
export function instantProblem(text: string): 'a leap second' | 'outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999Z' | undefined {
  const match = /^(\d{4}-\d\d-\d\d[Tt]\d\d:\d\d):(\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)$/.exec(text);
  if (!match) return undefined;
  if (match[2] === '60') return 'a leap second';
  const fraction = match[3] ?? '';
  const ms = Date.parse(`${match[1].toUpperCase()}:${match[2]}.${fraction.slice(0, 3).padEnd(3, '0')}${match[4].toUpperCase()}`);
  const belowMs = /[1-9]/.test(fraction.slice(3));
  return ms < INSTANT_MIN_MS || ms > INSTANT_MAX_MS || (ms === INSTANT_MAX_MS && belowMs) ? 'outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999Z' : undefined;
}

const DAY_MS = 24 * 3600 * 1000;
const EXTREME_OFFSET = 23 * 60 + 59;

/**
 * Date-times written near either end of the range: years 0001 and 9999 with the extreme offsets
 * (±23:59), fractions of 0 to 9 digits (sub-millisecond ones included), a few milliseconds or a day
 * from the bound. RFC 3339 only (four-digit years, so nothing past year 9999 as written); some are in
 * the range, some just out of it.
 */
const nearTheBounds: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(INSTANT_MIN_MS, INSTANT_MAX_MS),
    fc.oneof(fc.integer({ min: -3, max: 3 }), fc.integer({ min: -DAY_MS, max: DAY_MS }), fc.constantFrom(-EXTREME_OFFSET * 60_000, EXTREME_OFFSET * 60_000, -60_000, 60_000)),
    fc.oneof(fc.constant(0), fc.integer({ min: 4, max: 9 }), fc.integer({ min: 1, max: 3 })),
    fc.oneof(fc.constantFrom(0, 999_999, 1, 500_000), fc.integer({ min: 0, max: 999_999 })),
    fc.oneof(fc.constantFrom(EXTREME_OFFSET, -EXTREME_OFFSET, 0, 1, -1), fc.integer({ min: -EXTREME_OFFSET, max: EXTREME_OFFSET })),
    fc.boolean(),
  )
  .map(([bound, delta, digits, extra, offset, lower]) => formatDateTime(new Date(bound + delta), digits, extra, offset, lower))
  .filter(isRfc3339DateTime);

/** The extremes the range still takes, written every way (the first ones are the issue's in-range counterparts). */
export const dateTimeAtTheBounds: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0001-01-01T00:00:00Z', '0001-01-01T23:59:00+23:59', '9999-12-31T23:59:59.999Z', '9999-12-31T00:00:00-23:59', '9999-12-31T00:00:59.999000000-23:59'),
  nearTheBounds.filter((text) => instantProblem(text) === undefined),
);

/** RFC 3339 date-times out of the range: an extreme offset or a fraction of a millisecond across a bound, or year 0000. */
export const dateTimeOutOfRange: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('0001-01-01T00:00:00+23:59', '9999-12-31T23:59:59-23:59', '9999-12-31T23:59:59.9999Z', '0001-01-01T23:58:59.999999999+23:59', '0000-12-31T23:59:59.999Z'),
  nearTheBounds.filter((text) => instantProblem(text) !== undefined),
);

/** A valid date-time with its seconds set to 60: RFC 3339's leap second, which the service refuses. */
export const leapSecond: fc.Arbitrary<string> = fc.oneof(dateTime, dateTimeAtTheBounds).map((text) => text.replace(/([Tt]\d\d:\d\d:)\d\d/, '$160'));

function integerBetween(min: number, max: number): fc.Arbitrary<number> {
  const edges = [min, max, min + 1, max - 1, 0, 1].filter((n) => n >= min && n <= max);
  const any =
    min >= -(2 ** 31) && max < 2 ** 31 ? fc.integer({ min, max }) : fc.bigInt({ min: BigInt(min), max: BigInt(max) }).map((n) => Number(n));
  return fc.oneof({ weight: 1, arbitrary: fc.constantFrom(...edges) }, { weight: 4, arbitrary: any });
}

function bounds(schema: Schema, integer: boolean): { min: number; max: number } {
  const fallback = integer ? 2 ** 31 - 1 : Number.MAX_VALUE;
  let min = schema.minimum ?? -fallback;
  let max = schema.maximum ?? fallback;
  if (typeof schema.exclusiveMinimum === 'number') min = integer ? schema.exclusiveMinimum + 1 : schema.exclusiveMinimum;
  if (typeof schema.exclusiveMaximum === 'number') max = integer ? schema.exclusiveMaximum - 1 : schema.exclusiveMaximum;
  return { min, max };
}

const isInteger = (schema: Schema) => schema.type === 'integer' || (schema.type === 'number' && schema.multipleOf === 1);

export function validValue(schema: Schema, hints: Hints = {}, name?: string): fc.Arbitrary<unknown> {
  if (name && hints[name]) return fc.oneof(hints[name], validValue(schema, {}, undefined));
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      return validString(schema);
    case 'integer':
    case 'number': {
      const { min, max } = bounds(schema, isInteger(schema));
      if (isInteger(schema)) return integerBetween(Math.ceil(min), Math.floor(max));
      const edges = [min, max, 0].filter((n) => n >= min && n <= max && Number.isFinite(n));
      return fc.oneof(
        fc.constantFrom(...edges),
        fc.double({ min, max, noNaN: true, noDefaultInfinity: true }),
        integerBetween(Math.max(Math.ceil(min), -(2 ** 40)), Math.min(Math.floor(max), 2 ** 40)),
      );
    }
    case 'boolean':
      return fc.boolean();
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.max(minLength, Math.min(schema.maxItems ?? 5, 5));
      const items = validValue(schema.items ?? {}, hints);
      return schema.uniqueItems ? fc.uniqueArray(items, { minLength, maxLength, selector: (item) => JSON.stringify(item) }) : fc.array(items, { minLength, maxLength });
    }
    case 'object':
    default: {
      if (!schema.properties) return fc.constant({});
      const properties = Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, validValue(value, hints, key)]));
      return fc.record(properties, { requiredKeys: schema.required ?? [] });
    }
  }
}

function validString(schema: Schema): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength ?? Math.max(min, 300);
  const fits = (text: string) => codePointLength(text) >= min && codePointLength(text) <= max;
  if (schema.format === 'email') return emailAddress.filter(fits);
  if (schema.format === 'date-time') return dateTime;
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  return textOfLength(min, max);
}

const LONE_SURROGATES = ['\ud800', '\udbff', '\udc00', '\udfff'];

/** The value with one keyword of its schema broken; `undefined` when the schema constrains nothing breakable. */
export function brokenValue(schema: Schema): fc.Arbitrary<Broken> {
  const options: fc.Arbitrary<Broken>[] = [wrongType(schema)];
  const broken = (why: string, rule: Broken['rule'] = 'schema') => (value: unknown): Broken => ({ value, why, rule });
  if (schema.enum) {
    const members = schema.enum.map(String);
    options.push(
      fc
        .oneof(
          fc.constantFrom(...members.map((m) => m.toLowerCase()), ...members.map((m) => ` ${m}`), ...members.map((m) => `${m}\u0301`)),
          textOfLength(0, 12),
        )
        .filter((text) => !members.includes(text))
        .map(broken('not one of the enum')),
    );
  }
  if (schema.type === 'string' && !schema.enum) {
    const min = schema.minLength ?? 0;
    const base = validString(schema);
    if (min > 0) options.push(textOfLength(0, min - 1).map(broken(`shorter than minLength ${min}`)));
    if (schema.maxLength !== undefined) {
      const over = schema.maxLength + 1;
      options.push(textOfLength(over, over + 3).map(broken(`longer than maxLength ${schema.maxLength}`)));
    }
    if (schema.pattern) {
      const pattern = new RegExp(schema.pattern);
      options.push(
        fc
          .oneof(
            base.map((text) => text.toLowerCase()),
            base.map((text) => `${text}0`),
            base.map((text) => ` ${text}`),
            base.map((text) => text.slice(1)),
            textOfLength(min, schema.maxLength ?? min + 12),
          )
          .filter((text) => !pattern.test(text))
          .map(broken(`does not match ${schema.pattern}`)),
      );
    }
    if (schema.format === 'email') {
      options.push(
        fc
          .oneof(
            fc.constantFrom('alice', 'alice@', '@example.com', 'alice@@example.com', 'a lice@example.com', 'alice@example..com', 'alice@-example.com', '', 'alice@exa_mple.com'),
            emailAddress.map((email) => email.replace('@', '')),
            // (Not white space around an address: the service trims it on purpose, see test/auth.e2e-spec.ts.)
            emailAddress.map((email) => email.replace('@', ' @')),
          )
          .map(broken('not an email address')),
      );
    }
    if (schema.format === 'date-time') {
      options.push(
        fc
          .oneof(
            fc.constantFrom('2026-02-30T00:00:00Z', '2026-11-22', '2026-11-22T25:00:00Z', '2026-11-22T10:00:00', '2026-11-22 10:00:00Z', '2026-13-01T00:00:00Z', 'now', '', '1732270000', '2026-11-22T10:00:00+0100', '2026-11-22T10:00:00+24:00', '+02026-11-22T10:00:00Z'),
            dateTime.map((text) => text.replace(/[Zz]$|[+-]\d\d:\d\d$/, '')),
          )
          .map(broken('not an RFC 3339 date-time')),
      );
    }
    // A string that is not Unicode text: a lone UTF-16 surrogate, anywhere in an otherwise valid value.
    options.push(
      fc
        .tuple(base, fc.constantFrom(...LONE_SURROGATES), fc.nat())
        .map(([text, surrogate, at]) => {
          const cps = [...text];
          const index = cps.length === 0 ? 0 : at % (cps.length + 1);
          return [...cps.slice(0, index), surrogate, ...cps.slice(index)].join('');
        })
        .map(broken('contains a lone UTF-16 surrogate', 'documented')),
    );
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    const { min, max } = bounds(schema, isInteger(schema));
    if (schema.minimum !== undefined || schema.exclusiveMinimum !== undefined) {
      options.push(fc.oneof(fc.constant(min - 1), fc.constant(-1e300), fc.integer({ min: 1, max: 2 ** 31 }).map((d) => min - d)).map(broken(`below minimum ${min}`)));
      if (!isInteger(schema)) options.push(fc.constant(min - 1e-9 * Math.max(1, Math.abs(min))).map(broken(`below minimum ${min}`)));
    }
    if (schema.maximum !== undefined || schema.exclusiveMaximum !== undefined) {
      options.push(fc.oneof(fc.constant(max + 1), fc.constant(1e300), fc.integer({ min: 1, max: 2 ** 31 }).map((d) => max + d)).map(broken(`above maximum ${max}`)));
    }
    if (isInteger(schema)) {
      options.push(
        integerBetween(Math.max(Math.ceil(min), -(2 ** 40)), Math.min(Math.floor(max) - 1, 2 ** 40))
          .chain((n) => fc.constantFrom(n + 0.5, n + 0.1, n + 1e-6))
          .filter((n) => n >= min && n <= max && !Number.isInteger(n))
          .map(broken(schema.type === 'integer' ? 'not an integer' : `not a multiple of ${schema.multipleOf}`)),
      );
    }
  }
  if (schema.type === 'object' || (schema.type === undefined && schema.properties)) options.push(...brokenObject(schema));
  return fc.oneof(...options);
}

function wrongType(schema: Schema): fc.Arbitrary<Broken> {
  const byType: Record<string, unknown[]> = {
    string: [1, 0, true, null, {}, [], ['x']],
    integer: ['1', '', true, null, {}, [1], 'one'],
    number: ['1.5', '', false, null, {}, [1.5]],
    boolean: ['true', 'false', 1, 0, null, {}, []],
    object: [[], 'object', 1, true, null],
    array: [{}, 'array', 1, null],
  };
  // A nullable field takes null: not a wrong type there.
  const wrong = (byType[schema.type ?? 'object'] ?? [null]).filter((value) => !(schema.nullable && value === null));
  return fc.constantFrom(...wrong).map((value) => ({ value, why: `wrong type: ${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value} for ${schema.type ?? 'object'}`, rule: 'schema' }));
}

/** Keys an object must not have: the names JavaScript objects treat specially, near-misses of real keys, a lone surrogate. */
function unknownKey(schema: Schema): fc.Arbitrary<{ key: string; rule: Broken['rule'] }> {
  const known = Object.keys(schema.properties ?? {});
  const nearMisses = known.flatMap((key) => [key.toUpperCase(), `${key} `, `${key}_`]);
  return fc.oneof(
    fc.constantFrom('constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'id', 'owner_id', 'role', ...nearMisses).filter((key) => !known.includes(key)).map((key) => ({ key, rule: 'schema' as const })),
    fc.stringMatching(/^[a-z_]{1,12}$/).filter((key) => !known.includes(key)).map((key) => ({ key, rule: 'schema' as const })),
    fc.constantFrom(...LONE_SURROGATES).map((key) => ({ key, rule: 'schema' as const })),
  );
}

/** Sets a property as an own, enumerable one, even `__proto__`. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  return target;
}

function brokenObject(schema: Schema): fc.Arbitrary<Broken>[] {
  const options: fc.Arbitrary<Broken>[] = [];
  const valid = validValue(schema) as fc.Arbitrary<Record<string, unknown>>;
  for (const key of schema.required ?? []) {
    options.push(
      valid.map((object) => {
        const copy = { ...object };
        delete copy[key];
        return { value: copy, why: `required property ${key} missing`, rule: 'schema' as const };
      }),
    );
  }
  if (schema.additionalProperties === false) {
    options.push(
      fc.tuple(valid, unknownKey(schema), fc.jsonValue({ maxDepth: 2 })).map(([object, { key, rule }, extra]) => ({
        value: setOwn({ ...object }, key, extra),
        why: `unknown property ${JSON.stringify(key)}`,
        rule,
      })),
    );
  }
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    options.push(
      fc.tuple(valid, brokenValue(property)).map(([object, broken]) => ({
        value: setOwn({ ...object }, key, broken.value),
        why: `${key}: ${broken.why}`,
        rule: broken.rule,
      })),
    );
  }
  return options;
}
