import fc from 'fast-check';
import { type OperationSpec, type ParameterSpec, type Schema, resourceOf } from './operations';
import { type Broken, Placeholder, brokenValue, codePoint, dateTime, dateTimeAtTheBounds, dateTimeOutOfRange, leapSecond, setOwn, textOfLength, validValue } from './values';
import { ACTORS, type Actor } from './world';

/**
 * One fuzzed request, before it meets the world: which operation, as whom, and every part of the
 * request, with placeholders where a value depends on the world (an existing listing's id, a live
 * refresh token). Kinds:
 * - `valid`: satisfies the document; it must succeed, or be refused for a documented reason;
 * - `invalid`: breaks exactly one constraint of the document (or one rule it states in words); it must
 *   be a 4xx and change nothing;
 * - `odd`: neither clearly (bytes that are not UTF-8, NUL characters, a token on a public route…);
 *   only the checks every response gets apply.
 */
export type CaseKind = 'valid' | 'invalid' | 'odd';

export type QueryValue = string | Placeholder | string[];

export interface FuzzCase {
  operation: string;
  actor: Actor;
  kind: CaseKind;
  /** What was broken (invalid) or what is odd. */
  why: string;
  path: Record<string, string | Placeholder>;
  query: [string, QueryValue][];
  /** Appended to the query string as is (already percent-encoded, possibly not valid UTF-8). */
  rawQuery?: string;
  /** JSON to send, or raw bytes with a content type (null: no content-type header). */
  body?: { json: unknown } | { raw: string; contentType: string | null };
  /** Replaces the actor's `Authorization` header. */
  authorization?: AuthorizationVariant;
  headers: Record<string, string>;
  /** Picks the account behind email and password placeholders (one for the whole request, so they match). */
  accountPick: number;
}

export type AuthorizationVariant =
  | { kind: 'text'; value: string }
  | { kind: 'tampered'; how: 'signature' | 'payload' | 'appended' }
  | { kind: 'forged'; claims: 'expired' | 'no-exp' | 'unknown-user' | 'sub-out-of-range' | 'sub-not-numeric' | 'old-version' | 'other-issuer' | 'other-secret' | 'alg-none' | 'not-yet-valid' }
  | { kind: 'scheme'; scheme: string };

/** Property and parameter names whose values come from the world, so that valid requests can succeed. */
const BODY_HINTS: Record<string, fc.Arbitrary<Placeholder>> = {
  email: fc.nat().map((n) => new Placeholder('account-email', n)),
  password: fc.nat().map((n) => new Placeholder('account-password', n)),
  current_password: fc.nat().map((n) => new Placeholder('own-password', n)),
  refresh_token: fc.nat().map((n) => new Placeholder('refresh-token', n)),
  owner_id: fc.nat().map((n) => new Placeholder('user-id', n)),
};

const BAD_PATH_IDS = ['abc', '-1', '2147483648', '4294967296', '99999999999999999999', '1.5', '1e3', '0x1F', '+1', '%20', '1%20', '%D9%A1', 'null', '12abc', '%00'];

/** Every operation equally often; per operation, valid, invalid and odd requests 4 : 5 : 1. */
export function caseArbitrary(operations: OperationSpec[]): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    ...operations.map((operation) =>
      fc.oneof({ weight: 4, arbitrary: validCase(operation) }, { weight: 5, arbitrary: invalidCase(operation) }, { weight: 1, arbitrary: oddCase(operation) }),
    ),
  );
}

function base(operation: OperationSpec, kind: CaseKind, why: string) {
  return fc.record({ actor: fc.constantFrom(...ACTORS), accountPick: fc.nat() }).map(({ actor, accountPick }) => ({
    operation: operation.id,
    actor,
    kind,
    why,
    accountPick,
    headers: {},
  }));
}

function pathValues(operation: OperationSpec): fc.Arbitrary<Record<string, string | Placeholder>> {
  const entries = operation.parameters.filter((p) => p.in === 'path').map((p) => [p.name, validPathValue(operation, p)] as const);
  return fc.record(Object.fromEntries(entries));
}

function validPathValue(operation: OperationSpec, parameter: ParameterSpec): fc.Arbitrary<string | Placeholder> {
  const resource = resourceOf(operation, parameter.name) ?? 'unknown';
  return fc.oneof(
    { weight: 6, arbitrary: fc.nat().map((n) => new Placeholder(`existing:${resource}`, n)) },
    { weight: 2, arbitrary: fc.nat().map((n) => new Placeholder(`missing:${resource}`, n)) },
    // Values within the documented range that no collection of the fuzzer's holds: 404 if they do not exist, anything documented if they do.
    { weight: 1, arbitrary: (validValue(parameter.schema) as fc.Arbitrary<number>).map((n) => new Placeholder(`number:${resource}`, n)) },
  );
}

function queryValues(operation: OperationSpec): fc.Arbitrary<[string, QueryValue][]> {
  const parameters = operation.parameters.filter((p) => p.in === 'query');
  const entries = parameters.map((p) => [p.name, validQueryValue(p)] as const);
  const required = parameters.filter((p) => p.required).map((p) => p.name);
  return fc.record(Object.fromEntries(entries), { requiredKeys: required }).map((values) => orderRelated(parameters, Object.entries(values)));
}

/**
 * Relations between parameters that the document states in words ("Must not be less than `min_price`",
 * "Must be later than `from`"): read from the descriptions, so valid requests keep them.
 */
export function relationsOf(parameters: ParameterSpec[]): { later: string; earlier: string; strict: boolean }[] {
  const relations: { later: string; earlier: string; strict: boolean }[] = [];
  for (const p of parameters) {
    const notLess = /must not be less than `(\w+)`/i.exec(p.description ?? '');
    const later = /must be later than `(\w+)`/i.exec(p.description ?? '');
    if (notLess) relations.push({ later: p.name, earlier: notLess[1], strict: false });
    if (later) relations.push({ later: p.name, earlier: later[1], strict: true });
  }
  return relations;
}

export function orderRelated(parameters: ParameterSpec[], values: [string, QueryValue][]): [string, QueryValue][] {
  for (const { later, earlier, strict } of relationsOf(parameters)) {
    const a = values.find(([name]) => name === earlier);
    const b = values.find(([name]) => name === later);
    if (!a || !b || typeof a[1] !== 'string' || typeof b[1] !== 'string') continue;
    const order = compareQueryValues(a[1], b[1]);
    if (order > 0) [a[1], b[1]] = [b[1], a[1]];
    if (order === 0 && strict) values.splice(values.indexOf(b), 1);
  }
  return values;
}

function compareQueryValues(a: string, b: string): number {
  const numeric = /^-?\d+(\.\d+)?$/;
  if (numeric.test(a) && numeric.test(b)) return Math.sign(Number(a) - Number(b));
  return Math.sign(instantOf(a) - instantOf(b)) || Math.sign(nanosOf(a) - nanosOf(b));
}

function instantOf(text: string): number {
  return Date.parse(text.toUpperCase().replace(/\.(\d{3})\d*/, '.$1'));
}

function nanosOf(text: string): number {
  const fraction = /\.(\d+)/.exec(text)?.[1] ?? '';
  return Number(fraction.slice(3).padEnd(6, '0'));
}

/** The opaque position parameters: `cursor` of the paginated lists, `after` of the change feed. */
function isCursorParameter(name: string): boolean {
  return name === 'cursor' || name === 'after';
}

function validQueryValue(parameter: ParameterSpec): fc.Arbitrary<QueryValue> {
  const schema = parameter.schema;
  if (isCursorParameter(parameter.name)) return fc.nat().map((n) => new Placeholder('cursor', n));
  if (schema.format === 'date-time') {
    // Anywhere in years 0001 to 9999, at either end of that range (extreme offsets, long fractions), or around the listing's creation.
    return fc.oneof(
      { weight: 3, arbitrary: dateTime },
      { weight: 1, arbitrary: dateTimeAtTheBounds },
      { weight: 3, arbitrary: fc.integer({ min: -20_000, max: 20_000 }).map((ms) => new Placeholder('instant', ms)) },
    );
  }
  if (schema.enum) return fc.constantFrom(...schema.enum.map(String));
  if (schema.type === 'integer') return (validValue(schema) as fc.Arbitrary<number>).map(String);
  if (schema.type === 'number') return decimalText(schema);
  if (schema.type === 'boolean') return fc.constantFrom('true', 'false');
  return validValue(schema) as fc.Arbitrary<string>;
}

/** A number in plain decimal notation (what a query string carries), within the schema's range. */
function decimalText(schema: Schema): fc.Arbitrary<string> {
  const min = schema.minimum ?? -1e12;
  const max = Math.min(schema.maximum ?? 1e12, 1e12);
  return fc
    .tuple(fc.integer({ min: Math.ceil(min), max: Math.floor(max) }), fc.nat({ max: 999_999 }), fc.integer({ min: 0, max: 6 }))
    .map(([whole, fraction, digits]) => (digits === 0 ? String(whole) : `${whole}.${String(fraction).padStart(6, '0').slice(0, digits)}`))
    .filter((text) => Number(text) >= min && Number(text) <= max && !/^-0(\.0*)?$/.test(text));
}

function bodyValue(operation: OperationSpec): fc.Arbitrary<{ json: unknown } | undefined> {
  if (!operation.body) return fc.constant(undefined);
  return validValue(operation.body.schema, BODY_HINTS).map((json) => ({ json }));
}

function validCase(operation: OperationSpec): fc.Arbitrary<FuzzCase> {
  return fc
    .record({ base: base(operation, 'valid', 'valid'), path: pathValues(operation), query: queryValues(operation), body: bodyValue(operation) })
    .map(({ base, path, query, body }) => ({ ...base, path, query, ...(body ? { body } : {}) }));
}

// --- invalid: exactly one thing broken ----------------------------------------------------------------

function invalidCase(operation: OperationSpec): fc.Arbitrary<FuzzCase> {
  const valid = validCase(operation);
  const options: fc.Arbitrary<FuzzCase>[] = [];
  const mark = (c: FuzzCase, why: string, rule: Broken['rule'] = 'schema'): FuzzCase => ({ ...c, kind: 'invalid', why: rule === 'documented' ? `${why} (documented rule)` : why });

  for (const p of operation.parameters.filter((p) => p.in === 'path')) {
    options.push(fc.tuple(valid, fc.constantFrom(...BAD_PATH_IDS)).map(([c, bad]) => mark({ ...c, path: { ...c.path, [p.name]: bad } }, `path ${p.name} = ${bad}`)));
  }
  const queryParameters = operation.parameters.filter((p) => p.in === 'query');
  for (const p of queryParameters) {
    options.push(
      fc.tuple(valid, brokenQueryValue(p)).map(([c, broken]) => {
        const query = c.query.filter(([name]) => name !== p.name);
        return mark({ ...c, query: [...query, [p.name, broken.value]] }, `query ${p.name}: ${broken.why}`, broken.rule);
      }),
    );
    if (p.required) options.push(valid.map((c) => mark({ ...c, query: c.query.filter(([name]) => name !== p.name) }, `required query parameter ${p.name} missing`)));
  }
  const known = queryParameters.map((p) => p.name);
  // An operation that declares query parameters rejects others (README: "an unknown parameter is a 400");
  // one that declares none ignores the query string, which OpenAPI allows: that case is `odd`.
  const unknownKind: CaseKind = queryParameters.length > 0 ? 'invalid' : 'odd';
  options.push(
    fc
      .tuple(valid, fc.oneof(fc.stringMatching(/^[a-z_]{1,12}$/), fc.constantFrom('constructor', '__proto__', 'prototype', 'toString', ...known.map((k) => k.toUpperCase()), ...known.map((k) => `${k}[]`))), textOfLength(0, 6))
      .filter(([, name]) => !known.includes(name))
      .map(([c, name, value]) => ({ ...mark({ ...c, query: [...c.query, [name, value]] }, `unknown query parameter ${name}`), kind: unknownKind })),
  );
  for (const { later, earlier, strict } of relationsOf(queryParameters)) {
    options.push(
      valid
        .filter((c) => typeof c.query.find(([n]) => n === later)?.[1] === 'string' && typeof c.query.find(([n]) => n === earlier)?.[1] === 'string')
        .map((c) => {
          const a = c.query.find(([n]) => n === earlier)![1] as string;
          const b = c.query.find(([n]) => n === later)![1] as string;
          const order = compareQueryValues(a, b);
          // Swap them so that `later` comes first (or keep them equal when the rule is strict).
          const [first, second] = order < 0 ? [b, a] : order === 0 && strict ? [a, b] : [a, b];
          if (order === 0 && !strict) return undefined;
          const query = c.query.map(([n, v]): [string, QueryValue] => (n === earlier ? [n, first] : n === later ? [n, second] : [n, v]));
          return mark({ ...c, query }, `${later} ${strict ? 'not later than' : 'less than'} ${earlier}`, 'documented');
        })
        .filter((c): c is FuzzCase => c !== undefined),
    );
  }
  if (operation.body) {
    const body = operation.body;
    options.push(
      fc.tuple(valid, brokenValue(body.schema)).map(([c, broken]) => mark({ ...c, body: { json: broken.value } }, `body: ${broken.why}`, broken.rule)),
      fc.tuple(valid, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'text/html', 'application/xml', 'multipart/form-data; boundary=x')).map(([c, type]) =>
        mark({ ...c, body: { raw: JSON.stringify(jsonOf(c)), contentType: type } }, `content-type ${type}`),
      ),
      fc.tuple(valid, fc.nat()).map(([c, cut]) => {
        const text = JSON.stringify(jsonOf(c)) ?? '';
        return mark({ ...c, body: { raw: text.slice(0, cut % Math.max(1, text.length)), contentType: 'application/json' } }, 'malformed JSON (truncated)');
      }),
      fc.tuple(valid, fc.constantFrom('{"a":NaN}', "{'a':1}", '{"a":1,}', '{"a":0x10}', '[1,2', '\u00ef\u00bb\u00bf{}', '{"a":"\\ud800"', 'undefined', '{"a":1}{"b":2}')).map(([c, raw]) =>
        mark({ ...c, body: { raw, contentType: 'application/json' } }, `malformed JSON ${JSON.stringify(raw)}`),
      ),
      valid.map((c) => mark({ ...c, body: { raw: '', contentType: 'application/json' } }, 'empty JSON body')),
      fc.tuple(valid, fc.integer({ min: 101, max: 140 })).map(([c, kib]) =>
        mark({ ...c, body: { raw: JSON.stringify({ ...(jsonOf(c) as object), padding: 'x'.repeat(kib * 1024) }), contentType: 'application/json' } }, `body of ${kib} KiB (over the limit)`),
      ),
    );
    if (body.required) options.push(valid.map((c) => mark({ ...c, body: { raw: '', contentType: null } }, 'no body')));
  }
  if (operation.secured) {
    options.push(fc.tuple(valid, authorizationVariant()).map(([c, authorization]) => mark({ ...c, authorization }, `authorization ${describeAuthorization(authorization)}`)));
  }
  return fc.oneof(...options);
}

function jsonOf(c: FuzzCase): unknown {
  return c.body && 'json' in c.body ? c.body.json : {};
}

function brokenQueryValue(parameter: ParameterSpec): fc.Arbitrary<{ value: QueryValue; why: string; rule: Broken['rule'] }> {
  const schema = parameter.schema;
  const options: fc.Arbitrary<{ value: QueryValue; why: string; rule: Broken['rule'] }>[] = [];
  const broken = (why: string, rule: Broken['rule'] = 'schema') => (value: QueryValue) => ({ value, why, rule });
  const plain = isCursorParameter(parameter.name) ? textOfLength(1, 20) : validQueryValue(parameter).map((v) => (typeof v === 'string' ? v : '2026-01-01T00:00:00Z'));
  options.push(fc.tuple(plain, plain).map(([a, b]) => broken('repeated (an array)')([a, b])));
  if (schema.type === 'integer' || schema.type === 'number') {
    const words = ['abc', '', '1e3', '0x10', ' 1', '1 ', 'NaN', 'Infinity', '-', '1,5', '١', '--1', '1..2', '.', 'true'];
    if (schema.type === 'integer') words.push('1.5', '2.0');
    options.push(fc.constantFrom(...words).map(broken(`not ${schema.type === 'integer' ? 'an integer' : 'a number'}`)));
    if (schema.minimum !== undefined) options.push(fc.constantFrom(String(schema.minimum - 1), String(schema.minimum - 1000), '-99999999999999999999').map(broken(`below minimum ${schema.minimum}`)));
    if (schema.maximum !== undefined) options.push(fc.constantFrom(String(schema.maximum + 1), '99999999999999999999', String(schema.maximum * 10)).map(broken(`above maximum ${schema.maximum}`)));
  } else if (isCursorParameter(parameter.name)) {
    // Not cursors at all. An empty one, or one with an `id` (another endpoint's or a forged one), is for
    // the odd cases: the endpoints differ there (see the note in oddCase).
    options.push(
      fc
        .oneof(
          textOfLength(1, 40),
          fc.constantFrom('eyJpZCI6LTF9', 'eyJpZCI6IjEifQ', 'e30', 'W10', 'bnVsbA', 'eyJpZCI6MS41fQ', '!!!', 'eyJpZCI6MX0=garbage'),
          fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')),
        )
        .filter((text) => !isCursorLike(text))
        .map(broken('not a cursor the service issued', 'documented')),
    );
  } else {
    if (schema.format === 'date-time') {
      // RFC 3339, but refused as the parameter's description says: out of the range (the issue's
      // `0001-01-01T00:00:00+23:59`, a fraction of a millisecond past 9999-12-31T23:59:59.999Z…), or a leap second.
      options.push(dateTimeOutOfRange.map(broken('outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999Z', 'documented')), leapSecond.map(broken('a leap second', 'documented')));
    }
    // A lone surrogate cannot travel in a URL (it has no UTF-8 form): bytes that are not UTF-8 are the odd cases' business.
    options.push(
      brokenValue(schema)
        .filter((b) => typeof b.value === 'string' && !b.why.includes('surrogate'))
        .map((b) => ({ value: b.value as string, why: b.why, rule: b.rule })),
    );
  }
  return fc.oneof(...options);
}

/** Base64url JSON of an object with an integer `id` from 0 to 2^31-1: what the endpoints' cursors hold. */
function isCursorLike(text: string): boolean {
  if (text === '') return true;
  try {
    const raw = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    const id = (raw as { id?: unknown } | null)?.id;
    return (typeof id === 'number' && Number.isInteger(id) && id >= 0 && id <= 2 ** 31 - 1) || (typeof id === 'string' && /^\d+$/.test(id));
  } catch {
    return false;
  }
}

function authorizationVariant(): fc.Arbitrary<AuthorizationVariant> {
  return fc.oneof(
    fc.constantFrom('Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'Bearer not-a-jwt', 'Bearer a.b.c', 'Token abc', 'Bearer  eyJ', 'Bearer eyJhbGciOiJIUzI1NiJ9..').map((value) => ({ kind: 'text' as const, value })),
    fc.constantFrom('signature' as const, 'payload' as const, 'appended' as const).map((how) => ({ kind: 'tampered' as const, how })),
    fc
      .constantFrom('expired' as const, 'no-exp' as const, 'unknown-user' as const, 'old-version' as const, 'other-issuer' as const, 'other-secret' as const, 'alg-none' as const, 'not-yet-valid' as const)
      .map((claims) => ({ kind: 'forged' as const, claims })),
  );
}

export function describeAuthorization(a: AuthorizationVariant): string {
  switch (a.kind) {
    case 'text':
      return JSON.stringify(a.value);
    case 'tampered':
      return `token with its ${a.how} tampered with`;
    case 'forged':
      return `token ${a.claims}`;
    case 'scheme':
      return `scheme ${JSON.stringify(a.scheme)}`;
  }
}

// --- odd: no clear verdict, only the universal checks -------------------------------------------------

function oddCase(operation: OperationSpec): fc.Arbitrary<FuzzCase> {
  const valid = validCase(operation);
  const odd = (c: FuzzCase, why: string): FuzzCase => ({ ...c, kind: 'odd', why });
  const options: fc.Arbitrary<FuzzCase>[] = [
    fc.tuple(valid, fc.constantFrom('%ED%A0%80', '%FF', '%C0%AF', '%', '%zz', '%00', '%E2%80%AE', '%EF%BF%BF', '%F4%90%80%80')).map(([c, bytes]) => {
      const names = operation.parameters.filter((p) => p.in === 'query').map((p) => p.name);
      const name = names[bytes.length % Math.max(1, names.length)] ?? 'x';
      return odd({ ...c, query: c.query.filter(([n]) => n !== name), rawQuery: `${encodeURIComponent(name)}=a${bytes}b` }, `query ${name} with bytes ${bytes}`);
    }),
    fc.tuple(valid, fc.constantFrom('Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', 'Bearer')).map(([c, value]) => odd({ ...c, authorization: { kind: 'text', value } }, `authorization ${JSON.stringify(value)}`)),
    fc.tuple(valid, fc.constantFrom('bearer', 'BEARER', 'Bearer  ')).map(([c, scheme]) => odd({ ...c, authorization: { kind: 'scheme', scheme } }, `authorization scheme ${JSON.stringify(scheme)}`)),
    fc.tuple(valid, fc.constantFrom('sub-out-of-range' as const, 'sub-not-numeric' as const)).map(([c, claims]) => odd({ ...c, authorization: { kind: 'forged', claims } }, `token ${claims}, signed with the service's key`)),
    valid.map((c) => odd({ ...c, headers: { 'x-forwarded-for': '10.0.0.1', 'accept-language': 'fr', accept: 'text/html' } }, 'extra headers')),
  ];
  if (operation.body) {
    options.push(
      fc.tuple(valid, fc.constantFrom('application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=latin1', 'application/vnd.api+json', 'application/json; charset=utf-16')).map(([c, type]) =>
        odd({ ...c, body: { raw: JSON.stringify(jsonOf(c)), contentType: type } }, `content-type ${type}`),
      ),
      fc.tuple(valid, fc.nat()).map(([c, at]) => odd({ ...c, body: { json: withNul(jsonOf(c), at) } }, 'a NUL character in a string')),
    );
  } else {
    options.push(valid.map((c) => odd({ ...c, body: { json: { unexpected: true } } }, 'a body where none is expected')));
  }
  // Cursors that are empty or hold an `id` but were not issued by this endpoint: GET /listings rejects
  // them (400), GET /admin/users and the price history read an empty one as "no cursor" and take any
  // object with an id. Reported, not judged here.
  if (operation.parameters.some((p) => p.in === 'query' && p.name === 'cursor')) {
    options.push(
      fc.tuple(valid, fc.constantFrom('', 'eyJpZCI6MX0', 'eyJpZCI6MSwieCI6MX0', 'eyJwcmljZSI6MSwiaWQiOjF9', 'eyJhdCI6IjIwMjYtMDEtMDFUMDA6MDA6MDAuMDAwWiIsImlkIjoiMSJ9')).map(([c, cursor]) =>
        odd({ ...c, query: [...c.query.filter(([n]) => n !== 'cursor'), ['cursor', cursor]] }, `cursor ${JSON.stringify(cursor)} not issued by this endpoint`),
      ),
    );
  }
  const strings = operation.parameters.filter((p) => p.in === 'query' && p.schema.type === 'string' && !p.schema.enum && !p.schema.format && !p.schema.pattern);
  if (strings.length > 0) {
    options.push(
      fc.tuple(valid, fc.constantFrom(...strings.map((p) => p.name)), fc.array(codePoint, { minLength: 1, maxLength: 5 })).map(([c, name, cps]) =>
        odd({ ...c, query: [...c.query.filter(([n]) => n !== name), [name, `${String.fromCodePoint(...cps)}\u0000`]] }, `query ${name} with a NUL character`),
      ),
    );
  }
  return fc.oneof(...options);
}

function withNul(value: unknown, at: number): unknown {
  if (typeof value === 'string') return `${value.slice(0, at % (value.length + 1))}\u0000${value.slice(at % (value.length + 1))}`;
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const strings = keys.filter((k) => typeof (value as Record<string, unknown>)[k] === 'string' || typeof (value as Record<string, unknown>)[k] === 'object');
    if (strings.length === 0) return value;
    const key = strings[at % strings.length];
    return setOwn({ ...(value as Record<string, unknown>) }, key, withNul((value as Record<string, unknown>)[key], Math.floor(at / strings.length)));
  }
  return value;
}
