import { Logger } from '@nestjs/common';
import type { PrismaClient } from '../../database/src/generated/prisma/client';
import { hashPassword } from './passwords';

/**
 * Makes sure `email` is an active admin: creates the account with `password` if it does not exist,
 * otherwise promotes and reactivates it (its password is left as it is). Used at startup
 * (ADMIN_EMAIL/ADMIN_PASSWORD) and by `npm run admin:create`.
 */
export async function ensureAdmin(prisma: PrismaClient, email: string, password: string): Promise<'created' | 'promoted' | 'unchanged'> {
  const normalised = email.trim().toLowerCase();
  const existing = await prisma.user.findUnique({ where: { email: normalised }, select: { role: true, active: true } });
  if (!existing) {
    await prisma.user.create({ data: { email: normalised, passwordHash: await hashPassword(password), role: 'ADMIN' } });
    new Logger('Auth').log(`Created admin account ${normalised}`);
    return 'created';
  }
  if (existing.role === 'ADMIN' && existing.active) return 'unchanged';
  await prisma.user.update({ where: { email: normalised }, data: { role: 'ADMIN', active: true, tokenVersion: { increment: 1 } } });
  new Logger('Auth').log(`Made ${normalised} an active admin`);
  return 'promoted';
}
