/**
 * Micro-benchmark: one HS256 verify with jsonwebtoken, secret as a crypto KeyObject vs as a string
 * (jsonwebtoken turns a string secret into a KeyObject on every call, which dominates the cost), and the
 * whole per-request path of the service's JwtStrategy: passport-jwt reading the bearer header, verifying
 * with the KeyObject and the service's options, and checking the claims (everything but the database).
 * And an API key's per-request path (issue 19): its prefix and shape, its SHA-256 (what the database is asked for)
 * and the route's scope decision; its one database read is the load benchmark's (W1k).
 *
 *   npm run bench:jwt            (prints µs per verify for both)
 */
import { KeyObject, createSecretKey, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Strategy } from 'passport-jwt';
import { apiKeyRefusal, hasApiKeyShape, hashApiKey, isApiKey, newApiKey } from '../libs/auth/src/api-keys/api-key-access';
import { ACCESS_TOKEN_VERIFY_OPTIONS, accessTokenClaims, bearerToken } from '../libs/auth/src/tokens/access-tokens';

export interface JwtVerifyResult {
  keyObjectMicros: number;
  stringMicros: number;
  /** The JwtStrategy's path through passport-jwt, with the KeyObject. */
  passportMicros: number;
  /** An API key's path without its database read: bearer, prefix, shape, SHA-256, scope decision. */
  apiKeyMicros: number;
  /** How many times slower the string secret is. */
  slowdown: number;
  iterations: { keyObject: number; string: number; passport: number; apiKey: number };
}

const OPTIONS: jwt.VerifyOptions & { algorithms: jwt.Algorithm[] } = { algorithms: ['HS256'], issuer: 'listing-api', audience: 'listing-api' };

/** Runs `call` repeatedly for about `budgetMs` (and at most a million times); returns µs per call. */
function time(call: () => void, budgetMs: number): { micros: number; iterations: number } {
  for (let i = 0; i < 200; i++) call(); // warm-up: JIT, KeyObject caches
  const deadline = process.hrtime.bigint() + BigInt(budgetMs) * 1_000_000n;
  const started = process.hrtime.bigint();
  let iterations = 0;
  // Check the clock every 100 calls only, so that reading it costs nothing measurable.
  while (iterations < 1_000_000 && process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 100; i++) call();
    iterations += 100;
  }
  return { micros: Number(process.hrtime.bigint() - started) / 1000 / iterations, iterations };
}

const timeVerify = (token: string, secret: jwt.Secret, budgetMs: number) => time(() => jwt.verify(token, secret, OPTIONS), budgetMs);

/**
 * One passport-jwt authentication as Passport runs it per request: a fresh object inheriting from the
 * strategy, given success/fail/error actions. The service's strategy then reads the account from the
 * database, which the load benchmark measures. Everything here runs synchronously.
 */
function timePassport(token: string, key: KeyObject, budgetMs: number): { micros: number; iterations: number } {
  const strategy = new Strategy(
    { jwtFromRequest: (request: { headers: { authorization?: string } }) => bearerToken(request.headers.authorization) ?? null, secretOrKey: key as unknown as Buffer, ...ACCESS_TOKEN_VERIFY_OPTIONS },
    (payload: unknown, done: (error: unknown, user: unknown) => void) => done(null, accessTokenClaims(payload) ?? false),
  );
  const request = { headers: { authorization: `Bearer ${token}` } };
  let accepted = 0;
  const result = time(() => {
    const attempt = Object.create(strategy) as Strategy & { success(): void; fail(): void; error(e: unknown): void };
    attempt.success = () => (accepted += 1);
    attempt.fail = () => {
      throw new Error('the benchmark token was rejected');
    };
    attempt.error = (error) => {
      throw error;
    };
    attempt.authenticate(request as never);
  }, budgetMs);
  if (accepted < result.iterations) throw new Error('passport-jwt did not authenticate synchronously');
  return result;
}

/** The API key half of the global guard, up to its database read, as it runs per request. */
function timeApiKey(budgetMs: number): { micros: number; iterations: number } {
  const header = `Bearer ${newApiKey()}`;
  const scopes = ['listings:write'] as const;
  let hashed = 0;
  const result = time(() => {
    const bearer = bearerToken(header);
    if (bearer === undefined || !isApiKey(bearer) || !hasApiKeyShape(bearer)) throw new Error('the benchmark key was not recognised');
    if (hashApiKey(bearer).length === 64 && apiKeyRefusal('listings:write', scopes) === undefined) hashed += 1;
  }, budgetMs);
  if (hashed < result.iterations) throw new Error('the benchmark key was refused');
  return result;
}

export function measureJwtVerify(budgetMs = 2000): JwtVerifyResult {
  const secretText = randomBytes(32).toString('base64url');
  const key = createSecretKey(Buffer.from(secretText, 'utf8'));
  const token = jwt.sign({ sub: '1', ver: 0 }, key, { algorithm: 'HS256', issuer: 'listing-api', audience: 'listing-api', expiresIn: '1h' });
  const keyObject = timeVerify(token, key, budgetMs);
  const string = timeVerify(token, secretText, budgetMs);
  const passport = timePassport(token, key, budgetMs);
  const apiKey = timeApiKey(budgetMs);
  return {
    keyObjectMicros: keyObject.micros,
    stringMicros: string.micros,
    passportMicros: passport.micros,
    apiKeyMicros: apiKey.micros,
    slowdown: string.micros / keyObject.micros,
    iterations: { keyObject: keyObject.iterations, string: string.iterations, passport: passport.iterations, apiKey: apiKey.iterations },
  };
}

if (require.main === module) {
  const result = measureJwtVerify();
  process.stdout.write(
    `HS256 verify, KeyObject secret: ${result.keyObjectMicros.toFixed(1)} µs (${result.iterations.keyObject} calls)\n` +
      `HS256 verify, string secret:    ${result.stringMicros.toFixed(1)} µs (${result.iterations.string} calls)\n` +
      `JwtStrategy via passport-jwt:   ${result.passportMicros.toFixed(1)} µs (${result.iterations.passport} calls; the per-request path without the database)\n` +
      `API key (shape, SHA-256, scope): ${result.apiKeyMicros.toFixed(1)} µs (${result.iterations.apiKey} calls; without its database read; target ≤ 15 µs)\n` +
      `string / KeyObject:             ${result.slowdown.toFixed(1)}x\n`,
  );
}
