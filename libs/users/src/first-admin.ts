import { Logger } from '@nestjs/common';
import { type PrismaService, isUniqueViolation } from '@app/database';
import { hashPassword } from './passwords';

/**
 * - `created`: there was no such account; it now exists as an active admin with the given password.
 * - `unchanged`: it is already an active admin (its password is left as it is).
 * - `refused`: it belongs to an account that is not an active admin, and it was left as it is.
 * - `promoted`: that account was made an active admin, because the caller asked for it explicitly.
 */
export type AdminBootstrapOutcome = 'created' | 'unchanged' | 'refused' | 'promoted';

export interface EnsureAdminOptions {
  /** Promote (and reactivate) an existing account; only `npm run admin:create -- --promote-existing` sets it. */
  promoteExisting?: boolean;
  /** Where the warning for a refused address goes (the startup log; the CLI prints its own line). */
  logger?: Pick<Logger, 'log' | 'warn'>;
}

interface ExistingAccount {
  id: number;
  role: 'USER' | 'ADMIN';
  active: boolean;
}

/**
 * The ADMIN_EMAIL/ADMIN_PASSWORD bootstrap (at startup, and `npm run admin:create`). It only ever
 * creates: an existing account keeps its role, activity and password. Registration is public and
 * emails are not verified, so an account that already holds the address may be a stranger's, and
 * promoting it would hand them the admin role with their own password; an admin deactivated after a
 * compromise would also be reactivated by every restart. Promoting an existing account is a separate,
 * explicit act: `promoteExisting`, or an admin's `PATCH /admin/users/{id}`.
 */
export async function ensureAdmin(prisma: PrismaService, email: string, password: string | undefined, options: EnsureAdminOptions = {}): Promise<AdminBootstrapOutcome> {
  const logger = options.logger ?? new Logger('Auth');
  const normalised = email.trim().toLowerCase();
  let existing = await findAccount(prisma, normalised);
  if (!existing) {
    if (password === undefined) throw new Error(`There is no account ${normalised} to promote; give a password to create it`);
    const passwordHash = await hashPassword(password);
    try {
      await prisma.user.create({ data: { email: normalised, passwordHash, role: 'ADMIN' } });
      logger.log(`Created admin account ${normalised}`);
      return 'created';
    } catch (error) {
      // Registered between our read and our insert (only through another path than POST /auth/register,
      // which refuses this address): the same case as an existing account.
      if (!isUniqueViolation(error)) throw error;
      existing = await findAccount(prisma, normalised);
      if (!existing) throw error;
    }
  }
  if (existing.role === 'ADMIN' && existing.active) return 'unchanged';
  if (!options.promoteExisting) {
    const what = existing.role === 'ADMIN' ? 'a deactivated admin account' : 'an existing account that is not an admin';
    logger.warn(
      `ADMIN_EMAIL ${normalised} belongs to ${what} (id ${existing.id}): left as it is (role, activity and password unchanged), and ADMIN_PASSWORD is not used. ` +
        `If that account is yours, promote it with \`npm run admin:create -- --email ${normalised} --promote-existing\` or PATCH /admin/users/${existing.id} as an admin.`,
    );
    return 'refused';
  }
  const { id } = existing;
  // Like any role change: earlier tokens of the account stop working (the version is part of each).
  await prisma.user.update({ where: { id }, data: { role: 'ADMIN', active: true, tokenVersion: { increment: 1 } } });
  logger.log(`Promoted ${normalised} (id ${id}) to an active admin; its password is unchanged`);
  return 'promoted';
}

function findAccount(prisma: PrismaService, email: string): Promise<ExistingAccount | null> {
  return prisma.user.findUnique({ where: { email }, select: { id: true, role: true, active: true } });
}
