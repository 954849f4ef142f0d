import { type SqlQuery, prepared } from '@app/database';

/** The refresh_token table: its statements and row types, all of them here (libs/auth owns the table). */

export interface RefreshTokenRow {
  /** BIGSERIAL, as node-postgres returns it. */
  id: string;
  family_id: string;
  token_version: number;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

export const tokenOwner = (tokenHash: string): SqlQuery => prepared('refresh_token_owner')`SELECT user_id FROM refresh_token WHERE token_hash = ${tokenHash}`;

/** Taken after the account row's lock, like every write to a user's tokens (see RefreshTokensService). */
export const lockToken = (tokenHash: string): SqlQuery =>
  prepared('refresh_token_lock')`SELECT id, family_id, token_version, expires_at, used_at, revoked_at
    FROM refresh_token WHERE token_hash = ${tokenHash} FOR UPDATE`;

export const familyOf = (tokenHash: string): SqlQuery => prepared('refresh_token_family')`SELECT user_id, family_id FROM refresh_token WHERE token_hash = ${tokenHash}`;

export const markUsed = (id: string, at: Date): SqlQuery => prepared('refresh_token_use')`UPDATE refresh_token SET used_at = ${at} WHERE id = ${id}`;

export const revokeFamily = (familyId: string, at: Date): SqlQuery =>
  prepared('refresh_token_revoke_family')`UPDATE refresh_token SET revoked_at = ${at} WHERE family_id = ${familyId}::uuid AND revoked_at IS NULL`;

export const insertToken = (token: { userId: number; familyId: string; tokenVersion: number; tokenHash: string; expiresAt: Date }): SqlQuery =>
  prepared('refresh_token_insert')`INSERT INTO refresh_token (user_id, family_id, token_version, token_hash, expires_at)
    VALUES (${token.userId}, ${token.familyId}::uuid, ${token.tokenVersion}, ${token.tokenHash}, ${token.expiresAt})`;
