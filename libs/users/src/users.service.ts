import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { type AuditOrigin, AuditLog, changesBetween } from '@app/audit';
import { type AuthenticatedUser, Page, type Role, decodeCursor, encodeCursor, isId, toPage } from '@app/common';
import { PrismaService, SqlService, type SqlTransaction, isUniqueViolation, prepared } from '@app/database';
import { AdminUserView, UserView } from './dto/user.view';
import { USER_PAGE_DEFAULT, UpdateUserDto, UsersQuery } from './dto/admin.dto';
import { hashPassword } from './passwords';

interface UserRow {
  id: number;
  email: string;
  role: Role;
  active: boolean;
  createdDate: Date;
}

export interface CredentialRow {
  id: number;
  passwordHash: string;
  active: boolean;
  tokenVersion: number;
}

function toUserView(row: UserRow): UserView {
  return { id: row.id, email: row.email, role: row.role, created_date: row.createdDate.toISOString() };
}

function toAdminUserView(row: UserRow): AdminUserView {
  return { ...toUserView(row), active: row.active };
}

/**
 * Whether an admin's change to an account ends its sign-ins (token version bumped): a role change or a
 * deactivation does; writing the role or the activity it already has, or reactivating, does not.
 */
export function changeEndsSignIns(current: { role: Role; active: boolean }, change: UpdateUserDto): boolean {
  const roleChanged = change.role !== undefined && change.role !== current.role;
  const deactivated = change.active === false && current.active;
  return roleChanged || deactivated;
}


const USER_COLUMNS = { id: true, email: true, role: true, active: true, createdDate: true } as const;

@Injectable()
export class UsersService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly sql: SqlService,
    private readonly auditLog: AuditLog,
  ) {}

  /**
   * `email` is already normalised (trimmed, lower-case) by the DTO. The account and its audit entry are one
   * transaction; the entry's actor is the new account itself (nobody else is signed in), and it holds no password.
   */
  async register(email: string, password: string, origin: AuditOrigin): Promise<UserView> {
    const passwordHash = await hashPassword(password);
    try {
      return await this.prisma.$transaction(async (tx) => {
        const row = await tx.user.create({ data: { email, passwordHash }, select: USER_COLUMNS });
        await this.auditLog.recordInPrisma(tx, {
          action: 'user.registered',
          actor: { id: row.id, role: row.role },
          origin,
          target: { type: 'user', id: row.id },
          changes: changesBetween(null, { email: row.email, role: row.role, active: row.active }),
        });
        return toUserView(row);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictException('An account with this email already exists');
      throw error;
    }
  }

  findCredentials(email: string): Promise<CredentialRow | null> {
    return this.prisma.user.findUnique({ where: { email }, select: { id: true, passwordHash: true, active: true, tokenVersion: true } });
  }

  findCredentialsById(id: number): Promise<CredentialRow | null> {
    return this.prisma.user.findUnique({ where: { id }, select: { id: true, passwordHash: true, active: true, tokenVersion: true } });
  }

  /** The per-request check: role and active flag come from here, never from the token. On every authenticated request, hence plain SQL. */
  async findForRequest(id: number): Promise<{ role: Role; active: boolean; tokenVersion: number } | null> {
    const [row] = await this.sql.query<{ role: Role; active: boolean; token_version: number }>(
      prepared('account_check')`SELECT role, active, token_version FROM app_user WHERE id = ${id}`,
    );
    return row ? { role: row.role, active: row.active, tokenVersion: row.token_version } : null;
  }

  async me(id: number): Promise<UserView> {
    const row = await this.prisma.user.findUnique({ where: { id }, select: USER_COLUMNS });
    if (!row) throw new NotFoundException('User not found');
    return toUserView(row);
  }

  /**
   * New password; every earlier access and refresh token stops working. The token version is what
   * ends them: access tokens are checked against it on every request, refresh tokens on every refresh
   * (under the lock of lockForTokens, so a refresh running meanwhile cannot outlive the change).
   */
  async changePassword(caller: AuthenticatedUser, newPassword: string, origin: AuditOrigin): Promise<void> {
    const passwordHash = await hashPassword(newPassword);
    await this.prisma.$transaction(async (tx) => {
      await tx.user.update({ where: { id: caller.id }, data: { passwordHash, tokenVersion: { increment: 1 } }, select: { id: true } });
      // No changes: neither password nor hash is ever recorded, and "it changed" is the whole news.
      await this.auditLog.recordInPrisma(tx, { action: 'user.password_changed', actor: caller, origin, target: { type: 'user', id: caller.id } });
    });
  }

  /** Logout-all: every access and refresh token of the account stops working. */
  async revokeAllTokens(id: number): Promise<void> {
    await this.prisma.user.update({ where: { id }, data: { tokenVersion: { increment: 1 } } });
  }

  /**
   * For the refresh-token writes of libs/auth, in their transaction: locks the account row (`FOR NO KEY
   * UPDATE`: listing inserts that reference the account are not blocked) and returns what a refresh
   * decides on. Every change of the token version (the updates above) takes the same row lock, so a
   * refresh and a revocation take turns.
   */
  async lockForTokens(tx: SqlTransaction, id: number): Promise<{ tokenVersion: number; active: boolean } | undefined> {
    const [row] = await tx.query<{ token_version: number; active: boolean }>(prepared('account_lock_for_tokens')`SELECT token_version, active FROM app_user WHERE id = ${id} FOR NO KEY UPDATE`);
    return row && { tokenVersion: row.token_version, active: row.active };
  }

  async list(query: UsersQuery): Promise<Page<AdminUserView>> {
    const limit = query.limit ?? USER_PAGE_DEFAULT;
    const afterId = query.cursor ? decodeCursor(query.cursor, (raw) => (isId(raw.id) ? raw.id : undefined)) : undefined;
    const rows = await this.prisma.user.findMany({
      where: afterId === undefined ? undefined : { id: { gt: afterId } },
      orderBy: { id: 'asc' },
      take: limit + 1,
      select: USER_COLUMNS,
    });
    return toPage(rows, limit, toAdminUserView, (row) => encodeCursor({ id: row.id }));
  }

  /**
   * Role change or deactivation takes effect on the user's next request: the guard reads both from the
   * database, and the token version bump makes earlier tokens invalid (refresh tokens are revoked).
   * Audited as one entry per kind of change (user.role_changed, user.active_changed), so that "who demoted whom"
   * is a filter on the action; writing the value an account already has changes nothing and records nothing.
   */
  async update(caller: AuthenticatedUser, id: number, change: UpdateUserDto, origin: AuditOrigin): Promise<AdminUserView> {
    if (id === caller.id && (change.role === 'USER' || change.active === false)) {
      throw new ConflictException('Admins cannot demote or deactivate themselves; ask another admin');
    }
    return this.prisma.$transaction(async (tx) => {
      const current = await tx.user.findUnique({ where: { id }, select: { role: true, active: true } });
      if (!current) throw new NotFoundException(`User ${id} not found`);
      const endsSignIns = changeEndsSignIns(current, change);
      const row = await tx.user.update({
        where: { id },
        data: { role: change.role, active: change.active, ...(endsSignIns ? { tokenVersion: { increment: 1 } } : {}) },
        select: USER_COLUMNS,
      });
      const target = { type: 'user', id } as const;
      if (row.role !== current.role) {
        await this.auditLog.recordInPrisma(tx, { action: 'user.role_changed', actor: caller, origin, target, changes: { role: [current.role, row.role] } });
      }
      if (row.active !== current.active) {
        await this.auditLog.recordInPrisma(tx, { action: 'user.active_changed', actor: caller, origin, target, changes: { active: [current.active, row.active] } });
      }
      return toAdminUserView(row);
    });
  }

}
