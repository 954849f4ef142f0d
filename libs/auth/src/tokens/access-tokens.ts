import { KeyObject, createSecretKey } from 'node:crypto';
import jwt from 'jsonwebtoken';

/**
 * app_user.id is an int4. Written out rather than imported from @app/common: this module is also
 * compiled into the JWT benchmark (bench/jwt-verify.ts), which has no path aliases and no Nest.
 */
const MAX_USER_ID = 2_147_483_647;

/** A compact JWS: header.payload.signature, each base64url. */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]+$/;

export const TOKEN_ISSUER = 'listing-api';
export const TOKEN_AUDIENCE = 'listing-api';

export interface AccessTokenClaims {
  /** The user id. */
  userId: number;
  /** The user's token_version when the token was issued. */
  version: number;
}

/**
 * How every access token is checked (by JwtStrategy through passport-jwt): the algorithm, issuer and
 * audience are pinned, so `alg: none`, other algorithms and foreign tokens are all rejected. `exp` is
 * required by accessTokenClaims.
 */
export const ACCESS_TOKEN_VERIFY_OPTIONS = {
  algorithms: ['HS256'] as jwt.Algorithm[],
  issuer: TOKEN_ISSUER,
  audience: TOKEN_AUDIENCE,
};

/**
 * HS256 access tokens. The key is a KeyObject built once: jsonwebtoken re-derives a key from a string
 * secret on every call (~500 µs here), a KeyObject costs ~10 µs.
 */
export class AccessTokens {
  readonly key: KeyObject;

  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  issue(claims: AccessTokenClaims): string {
    return jwt.sign({ ver: claims.version }, this.key, {
      algorithm: 'HS256',
      subject: String(claims.userId),
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      expiresIn: this.ttlSeconds,
    });
  }

  /**
   * Whether `token` is a current access token of this service: what passport-jwt checks for JwtStrategy
   * (signature, algorithm, issuer, audience, expiry) and the claims' shape, without the database read
   * that follows there (active account, role, token_version). With the KeyObject: about 9 µs for a
   * good token; a refused JWT about 25 µs (jsonwebtoken builds an exception), anything else well under 1 µs.
   */
  verifies(token: string): boolean {
    // Not three base64url parts (an API key, say): not one of ours, without the cost of jsonwebtoken's exception.
    if (!JWT_SHAPE.test(token)) return false;
    try {
      return accessTokenClaims(jwt.verify(token, this.key, ACCESS_TOKEN_VERIFY_OPTIONS)) !== undefined;
    } catch {
      return false;
    }
  }
}

/** The claims of a verified token's payload, or undefined when it lacks `exp`, `ver` or a `sub` that can be an account id. */
export function accessTokenClaims(payload: unknown): AccessTokenClaims | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const { exp, sub, ver } = payload as jwt.JwtPayload;
  if (typeof exp !== 'number' || typeof ver !== 'number') return undefined;
  // An account id is an int4: a larger subject would make the account lookup fail (a 500), not a 401.
  if (typeof sub !== 'string' || !/^\d{1,10}$/.test(sub) || Number(sub) > MAX_USER_ID) return undefined;
  return { userId: Number(sub), version: ver };
}

/** The token of `Authorization: Bearer <token>` (RFC 6750 b64token syntax), else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer ([A-Za-z0-9\-_.~+/]+=*)$/i);
  return match?.[1];
}
