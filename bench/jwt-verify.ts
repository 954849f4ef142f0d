/**
 * Micro-benchmark: one HS256 verify with jsonwebtoken, secret as a crypto KeyObject vs as a string.
 * jsonwebtoken turns a string secret into a KeyObject on every call, which dominates the cost.
 *
 *   npm run bench:jwt            (prints µs per verify for both)
 */
import { createSecretKey, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';

export interface JwtVerifyResult {
  keyObjectMicros: number;
  stringMicros: number;
  /** How many times slower the string secret is. */
  slowdown: number;
  iterations: { keyObject: number; string: number };
}

const OPTIONS: jwt.VerifyOptions & { algorithms: jwt.Algorithm[] } = { algorithms: ['HS256'], issuer: 'listing-api', audience: 'listing-api' };

/** Verifies the token repeatedly for about `budgetMs` (and at most a million times); returns µs per call. */
function timeVerify(token: string, secret: jwt.Secret, budgetMs: number): { micros: number; iterations: number } {
  for (let i = 0; i < 200; i++) jwt.verify(token, secret, OPTIONS); // warm-up: JIT, KeyObject caches
  const deadline = process.hrtime.bigint() + BigInt(budgetMs) * 1_000_000n;
  const started = process.hrtime.bigint();
  let iterations = 0;
  // Check the clock every 100 calls only, so that reading it costs nothing measurable.
  while (iterations < 1_000_000 && process.hrtime.bigint() < deadline) {
    for (let i = 0; i < 100; i++) jwt.verify(token, secret, OPTIONS);
    iterations += 100;
  }
  return { micros: Number(process.hrtime.bigint() - started) / 1000 / iterations, iterations };
}

export function measureJwtVerify(budgetMs = 2000): JwtVerifyResult {
  const secretText = randomBytes(32).toString('base64url');
  const key = createSecretKey(Buffer.from(secretText, 'utf8'));
  const token = jwt.sign({ sub: '1', ver: 0 }, key, { algorithm: 'HS256', issuer: 'listing-api', audience: 'listing-api', expiresIn: '1h' });
  const keyObject = timeVerify(token, key, budgetMs);
  const string = timeVerify(token, secretText, budgetMs);
  return {
    keyObjectMicros: keyObject.micros,
    stringMicros: string.micros,
    slowdown: string.micros / keyObject.micros,
    iterations: { keyObject: keyObject.iterations, string: string.iterations },
  };
}

if (require.main === module) {
  const result = measureJwtVerify();
  process.stdout.write(
    `HS256 verify, KeyObject secret: ${result.keyObjectMicros.toFixed(1)} µs (${result.iterations.keyObject} calls)\n` +
      `HS256 verify, string secret:    ${result.stringMicros.toFixed(1)} µs (${result.iterations.string} calls)\n` +
      `string / KeyObject:             ${result.slowdown.toFixed(1)}x\n`,
  );
}
