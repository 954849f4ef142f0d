/**
 * `npm run admin:create -- --email root@example.com` (password from ADMIN_PASSWORD, or --password):
 * makes sure the account exists and is an active admin, in the database of DATABASE_URL, or in the
 * embedded demo database when DATABASE_URL is unset.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ensureAdmin } from '@app/auth';
import { ConfigError, loadConfig } from '@app/common';
import { PrismaService } from '@app/database';
import { prepareDatabase } from '../database-bootstrap';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' } } });
  const email = values.email ?? process.env.ADMIN_EMAIL;
  const password = values.password ?? process.env.ADMIN_PASSWORD;
  if (!email || !password) throw new Error('usage: npm run admin:create -- --email EMAIL [--password PASSWORD] (or ADMIN_EMAIL / ADMIN_PASSWORD)');
  if (password.length < 8 || password.length > 256) throw new Error('the password must be 8 to 256 characters');
  const config = loadConfig();
  const database = await prepareDatabase(config);
  const prisma = PrismaService.standalone({ url: database.url, poolSize: 1 });
  try {
    const outcome = await ensureAdmin(prisma, email, password);
    process.stdout.write(`${email.trim().toLowerCase()}: ${outcome}\n`);
  } finally {
    await prisma.$disconnect();
    await database.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
