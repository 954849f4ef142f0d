import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { AuditLog, type AuditOrigin, changesBetween } from '@app/audit';
import { type AuthenticatedUser, type Page, ValidationFailedException, decodeCursor, encodeCursor, isAdmin, isId, toPage } from '@app/common';
import { SqlService } from '@app/database';
import { UsersService } from '@app/users';
import { DISPLAY_PREFIX_LENGTH, hashApiKey, newApiKey } from './api-key-access';
import { type ApiKeyRow, countUsableKeys, insertKey, lockOwnerKeys, revokeKey, selectOwnerKeyPage } from './api-key.statements';
import { API_KEY_PAGE_DEFAULT, type ApiKeyCreateDto, type ApiKeysQuery, EXPIRY_DAYS_DEFAULT } from './dto/api-key.dto';
import type { ApiKeyView, ApiKeyWithSecretView } from './dto/api-key.view';

/** Usable keys (neither revoked nor expired) per account: each has its own rate limit, so their number is bounded too. */
export const MAX_KEYS_PER_ACCOUNT = 25;

const DAY_MS = 86_400_000;

/**
 * API keys: each belongs to the account that created it, and acts as that account with at most its scopes.
 * Only its owner lists or revokes it (anyone else gets 404, as if it did not exist); admins do both for any
 * account through the admin routes. The key itself is returned once, at creation: only its hash is kept.
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly sql: SqlService,
    private readonly users: UsersService,
    private readonly auditLog: AuditLog,
  ) {}

  async create(dto: ApiKeyCreateDto, caller: AuthenticatedUser, origin: AuditOrigin): Promise<ApiKeyWithSecretView> {
    const problems: { field: string; message: string }[] = [];
    if (dto.scopes.includes('admin') && !isAdmin(caller)) problems.push({ field: 'scopes', message: 'only an admin\'s key may hold the admin scope' });
    if (dto.expires_in_days === null && !isAdmin(caller)) problems.push({ field: 'expires_in_days', message: 'expires_in_days may be null (no expiry) for an admin\'s key only' });
    if (problems.length > 0) throw new ValidationFailedException(problems);

    const key = newApiKey();
    const createdDate = new Date();
    const days = dto.expires_in_days === undefined ? EXPIRY_DAYS_DEFAULT : dto.expires_in_days;
    const expiresDate = days === null ? null : new Date(createdDate.getTime() + days * DAY_MS);
    const row = await this.sql.transaction(async (tx) => {
      await tx.query(lockOwnerKeys(caller.id));
      const [{ count }] = await tx.query<{ count: number }>(countUsableKeys(caller.id));
      if (count >= MAX_KEYS_PER_ACCOUNT) throw new ConflictException(`An account may have at most ${MAX_KEYS_PER_ACCOUNT} API keys in use: revoke one first`);
      const [created] = await tx.query<ApiKeyRow>(
        insertKey({ ownerId: caller.id, name: dto.name, scopes: dto.scopes, prefix: key.slice(0, DISPLAY_PREFIX_LENGTH), keyHash: hashApiKey(key), createdDate, expiresDate }),
      );
      // Never the key, its hash or its display prefix: what it may do and until when.
      await this.auditLog.record(tx, {
        action: 'api_key.created',
        actor: caller,
        origin,
        target: { type: 'api_key', id: created.id },
        changes: changesBetween(null, { name: created.name, scopes: [...created.scopes], expires_date: created.expires_date?.toISOString() ?? null }),
      });
      return created;
    });
    return { ...toApiKeyView(row), key };
  }

  /** The caller's keys that are not revoked (expired ones included), by id. */
  listOwn(query: ApiKeysQuery, caller: AuthenticatedUser): Promise<Page<ApiKeyView>> {
    return this.page(caller.id, query);
  }

  /** An admin's view of any account's keys; 404 for an account that does not exist. */
  async listOf(ownerId: number, query: ApiKeysQuery): Promise<Page<ApiKeyView>> {
    await this.users.me(ownerId);
    return this.page(ownerId, query);
  }

  /** The caller's key only: another account's key is a 404, like one that does not exist or is already revoked. */
  async revokeOwn(id: number, caller: AuthenticatedUser, origin: AuditOrigin): Promise<void> {
    await this.revoke(id, caller.id, caller, origin);
  }

  /** Admins: any account's key. */
  async revokeAny(id: number, caller: AuthenticatedUser, origin: AuditOrigin): Promise<void> {
    await this.revoke(id, undefined, caller, origin);
  }

  private async revoke(id: number, ownerId: number | undefined, caller: AuthenticatedUser, origin: AuditOrigin): Promise<void> {
    // The next request with the key is refused on every instance: each one reads the key from the database.
    await this.sql.transaction(async (tx) => {
      const [revoked] = await tx.query<{ id: number }>(revokeKey(id, ownerId, new Date()));
      if (!revoked) throw new NotFoundException(`API key ${id} not found`);
      await this.auditLog.record(tx, { action: 'api_key.revoked', actor: caller, origin, target: { type: 'api_key', id } });
    });
  }

  private async page(ownerId: number, query: ApiKeysQuery): Promise<Page<ApiKeyView>> {
    const limit = query.limit ?? API_KEY_PAGE_DEFAULT;
    const afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, (raw) => (isId(raw.id) ? raw.id : undefined));
    const rows = await this.sql.query<ApiKeyRow>(selectOwnerKeyPage(ownerId, afterId, limit + 1));
    return toPage(rows, limit, toApiKeyView, (row) => encodeCursor({ id: row.id }));
  }
}

function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    prefix: row.prefix,
    created_date: row.created_date.toISOString(),
    expires_date: row.expires_date?.toISOString() ?? null,
    last_used_date: row.last_used_date?.toISOString() ?? null,
  };
}
