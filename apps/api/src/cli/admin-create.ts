/**
 * `npm run admin:create -- --email root@example.com` (password from ADMIN_PASSWORD, or --password):
 * creates the account as an active admin, in the database of DATABASE_URL, or in the embedded demo
 * database when DATABASE_URL is unset. An existing account is left as it is (exit code 1 when it is
 * not an active admin), unless `--promote-existing` says to make it one: then it keeps its own
 * password, and no password is needed.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ensureAdmin } from '@app/users';
import { ConfigError, loadConfig } from '@app/common';
import { PrismaService } from '@app/database';
import { prepareDatabase } from '../database-bootstrap';

const USAGE = 'usage: npm run admin:create -- --email EMAIL [--password PASSWORD] [--promote-existing] (or ADMIN_EMAIL / ADMIN_PASSWORD)';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { email: { type: 'string' }, password: { type: 'string' }, 'promote-existing': { type: 'boolean' } } });
  const config = loadConfig();
  const email = values.email ?? config.auth.adminEmail;
  const password = values.password ?? config.auth.adminPassword;
  const promoteExisting = values['promote-existing'] === true;
  if (!email || (!password && !promoteExisting)) throw new Error(USAGE);
  if (password !== undefined && (password.length < 8 || password.length > 256)) throw new Error('the password must be 8 to 256 characters');
  const database = await prepareDatabase(config);
  const prisma = PrismaService.standalone({ url: database.url, poolSize: 1 });
  const normalised = email.trim().toLowerCase();
  try {
    // The CLI says what happened in its own words, on stdout; the warning would repeat it.
    const quiet = { log: () => undefined, warn: () => undefined };
    const outcome = await ensureAdmin(prisma, email, password, { promoteExisting, logger: quiet });
    if (outcome === 'refused') {
      process.stderr.write(
        `${normalised}: refused: an account with this address exists and is not an active admin; it was left as it is. ` +
          'If it is yours, run again with --promote-existing (it keeps its own password).\n',
      );
      return 1;
    }
    process.stdout.write(`${normalised}: ${outcome}\n`);
    return 0;
  } finally {
    await prisma.$disconnect();
    await database.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
