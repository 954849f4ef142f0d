import jwt from 'jsonwebtoken';
import { AccessTokens, TOKEN_AUDIENCE, TOKEN_ISSUER } from './access-tokens';

describe('AccessTokens.verifies (signature and expiry, no database)', () => {
  const secret = 'a-secret-for-this-unit-test-only-0123456789';
  const tokens = new AccessTokens(secret, 900);
  const base: jwt.SignOptions = { algorithm: 'HS256', issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, subject: '7' };
  const sign = (payload: object, options: jwt.SignOptions = {}, key: jwt.Secret = secret) => jwt.sign(payload, key, { ...base, expiresIn: 60, ...options });
  /** No expiresIn option: the payload's own `exp`, or none. */
  const signRaw = (payload: object) => jwt.sign(payload, secret, base);

  it('accepts a token it issued', () => {
    expect(tokens.verifies(tokens.issue({ userId: 7, version: 0 }))).toBe(true);
    expect(tokens.verifies(sign({ ver: 3 }))).toBe(true);
  });

  it.each([
    ['not a JWT', () => 'not-a-jwt'],
    ['empty', () => ''],
    ['shaped like an API key', () => 'lak_0123456789abcdef0123456789abcdef'],
    ['of two parts', () => sign({ ver: 0 }).split('.').slice(0, 2).join('.')],
    ['with padding in its signature', () => `${sign({ ver: 0 })}=`],
    ['signed with another key', () => sign({ ver: 0 }, {}, 'another-secret-of-at-least-32-bytes-long!!')],
    ['expired', () => signRaw({ ver: 0, exp: Math.floor(Date.now() / 1000) - 10 })],
    ['without an expiry', () => signRaw({ ver: 0 })],
    ['another issuer', () => sign({ ver: 0 }, { issuer: 'someone-else' })],
    ['another audience', () => sign({ ver: 0 }, { audience: 'someone-else' })],
    ['another algorithm', () => sign({ ver: 0 }, { algorithm: 'HS512' })],
    ['alg none', () => jwt.sign({ ver: 0 }, null, { algorithm: 'none', issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE, subject: '7', expiresIn: 60 })],
    ['claims that are not ours (no ver)', () => sign({})],
  ])('refuses a token %s', (_name, token) => {
    expect(tokens.verifies(token())).toBe(false);
  });
});
