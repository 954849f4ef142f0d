import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService } from '@app/database';

export type RotationResult = { outcome: 'rotated'; token: string; userId: number } | { outcome: 'rejected' };

interface StoredToken {
  id: bigint;
  user_id: number;
  family_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Opaque refresh tokens: 256 random bits, stored only as a SHA-256 hash (a leaked table grants
 * nothing). Each login starts a family; each refresh marks the presented token used and issues the
 * next one in the family. A used token presented again means it was stolen (or replayed), so the whole
 * family is revoked: neither the thief nor the owner can refresh any more.
 */
@Injectable()
export class RefreshTokensService {
  constructor(private readonly prisma: PrismaService) {}

  async startFamily(userId: number, ttlSeconds: number): Promise<string> {
    return this.insert(this.prisma, userId, randomUUID(), ttlSeconds);
  }

  async rotate(token: string, ttlSeconds: number): Promise<RotationResult> {
    return this.prisma.$transaction(async (tx) => {
      // The row lock makes two refreshes with the same token take turns: the second sees it used.
      const [stored] = await tx.$queryRaw<StoredToken[]>`
        SELECT id, user_id, family_id, expires_at, used_at, revoked_at
        FROM refresh_token WHERE token_hash = ${hashToken(token)} FOR UPDATE`;
      if (!stored || stored.revoked_at) return { outcome: 'rejected' } as const;
      if (stored.used_at) {
        await this.revokeFamilyWith(tx, stored.family_id);
        return { outcome: 'rejected' } as const;
      }
      if (stored.expires_at.getTime() <= Date.now()) return { outcome: 'rejected' } as const;
      await tx.refreshToken.update({ where: { id: stored.id }, data: { usedAt: new Date() } });
      const next = await this.insert(tx, stored.user_id, stored.family_id, ttlSeconds);
      return { outcome: 'rotated', token: next, userId: stored.user_id } as const;
    });
  }

  /** Revokes the family of `token`, if it is one of ours. */
  async revokeFamilyOf(token: string): Promise<void> {
    const stored = await this.prisma.refreshToken.findUnique({ where: { tokenHash: hashToken(token) }, select: { familyId: true } });
    if (stored) await this.revokeFamilyWith(this.prisma, stored.familyId);
  }

  /** Every refresh token of the user: on password change, role change and deactivation. */
  async revokeAllOf(tx: Prisma.TransactionClient, userId: number): Promise<void> {
    await tx.refreshToken.updateMany({ where: { userId, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  private async revokeFamilyWith(tx: Prisma.TransactionClient, familyId: string): Promise<void> {
    await tx.refreshToken.updateMany({ where: { familyId, revokedAt: null }, data: { revokedAt: new Date() } });
  }

  private async insert(tx: Prisma.TransactionClient, userId: number, familyId: string, ttlSeconds: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await tx.refreshToken.create({
      data: { userId, familyId, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + ttlSeconds * 1000) },
    });
    return token;
  }
}
