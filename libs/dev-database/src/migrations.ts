import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The project root: where prisma.config.ts and prisma/migrations live. */
export const PROJECT_ROOT = path.resolve(__dirname.includes(`${path.sep}dist${path.sep}`) ? __dirname.split(`${path.sep}dist${path.sep}`)[0] : path.join(__dirname, '..', '..', '..'));

/**
 * Applies the committed migrations with Prisma's own `migrate deploy` (the same command as
 * `npm run db:migrate`), so the embedded database and the tests get exactly what production gets.
 */
export async function applyMigrations(databaseUrl: string): Promise<void> {
  const cli = require.resolve('prisma/build/index.js', { paths: [PROJECT_ROOT] });
  try {
    await run(process.execPath, [cli, 'migrate', 'deploy'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`prisma migrate deploy failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}
