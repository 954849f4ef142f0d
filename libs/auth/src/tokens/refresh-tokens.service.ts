import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SqlService, type SqlTransaction } from '@app/database';
import { UsersService } from '@app/users';
import { type RefreshTokenRow, familyOf, insertToken, lockToken, markUsed, revokeFamily, tokenOwner } from './refresh-token.statements';

export type RotationResult = { outcome: 'rotated'; token: string; userId: number; tokenVersion: number } | { outcome: 'rejected' };

const REJECTED = { outcome: 'rejected' } as const;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Opaque refresh tokens: 256 random bits, stored only as a SHA-256 hash (a leaked table grants
 * nothing). Each login starts a family; each refresh marks the presented token used and issues the
 * next one in the family. A used token presented again means it was stolen (or replayed), so the whole
 * family is revoked: neither the thief nor the owner can refresh any more.
 *
 * Revocation cannot be raced, by two rules:
 * - each token carries the account's `token_version` from when it was issued, and a refresh compares
 *   it with the account's current one under the account row's lock (UsersService.lockForTokens). A
 *   password change, logout-all, role change or deactivation bumps the version, which takes the same
 *   lock: a refresh running at that moment either commits first (and its new token carries the old
 *   version, refused on first use) or waits and sees the new version. A token issued by a login that
 *   read the account just before the change is refused the same way;
 * - every write to a family (refresh, logout, reuse detection) first takes that lock too, so they take
 *   turns, and in READ COMMITTED each statement after the lock sees every token committed before it:
 *   a sign-out or a detected reuse also ends the token a concurrent refresh has just issued.
 */
@Injectable()
export class RefreshTokensService {
  constructor(
    private readonly db: SqlService,
    private readonly users: UsersService,
  ) {}

  /** A new family, for a login that read the account at `tokenVersion`. */
  async startFamily(userId: number, tokenVersion: number, ttlSeconds: number): Promise<string> {
    return this.insert(this.db, userId, randomUUID(), tokenVersion, ttlSeconds);
  }

  async rotate(token: string, ttlSeconds: number): Promise<RotationResult> {
    const tokenHash = hashToken(token);
    return this.db.transaction(async (tx) => {
      // The owner first (a token never changes owner), to lock the account before the token: the
      // order every writer uses, so two of them never wait for each other.
      const [owner] = await tx.query<{ user_id: number }>(tokenOwner(tokenHash));
      if (!owner) return REJECTED;
      const account = await this.users.lockForTokens(tx, owner.user_id);
      const [stored] = await tx.query<RefreshTokenRow>(lockToken(tokenHash));
      if (!account || !stored || stored.revoked_at) return REJECTED;
      if (stored.used_at) {
        // A replay (reuse): end the whole family.
        await tx.query(revokeFamily(stored.family_id, new Date()));
        return REJECTED;
      }
      // Issued before a password change, logout-all, role change or deactivation; or expired.
      if (stored.token_version !== account.tokenVersion || !account.active || stored.expires_at.getTime() <= Date.now()) return REJECTED;
      await tx.query(markUsed(stored.id, new Date()));
      const next = await this.insert(tx, owner.user_id, stored.family_id, account.tokenVersion, ttlSeconds);
      return { outcome: 'rotated', token: next, userId: owner.user_id, tokenVersion: account.tokenVersion } as const;
    });
  }

  /** Revokes the family of `token` (sign-out), if it is one of ours. */
  async revokeFamilyOf(token: string): Promise<void> {
    const tokenHash = hashToken(token);
    await this.db.transaction(async (tx) => {
      const [stored] = await tx.query<{ user_id: number; family_id: string }>(familyOf(tokenHash));
      if (!stored) return;
      await this.users.lockForTokens(tx, stored.user_id);
      await tx.query(revokeFamily(stored.family_id, new Date()));
    });
  }

  private async insert(db: Pick<SqlTransaction, 'query'>, userId: number, familyId: string, tokenVersion: number, ttlSeconds: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await db.query(insertToken({ userId, familyId, tokenVersion, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + ttlSeconds * 1000) }));
    return token;
  }
}
