import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The scraper's credential: `Authorization: Bearer <METRICS_TOKEN>`. Compared as SHA-256 digests with
 * timingSafeEqual, so the time taken says nothing about how much of a guess was right, nor about the token's
 * length (timingSafeEqual itself needs equal lengths).
 */
export class MetricsToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  admits(authorization: string | undefined): boolean {
    const match = authorization === undefined ? null : /^Bearer +(\S+) *$/i.exec(authorization);
    return match !== null && timingSafeEqual(sha256(match[1]), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
