/**
 * The release being upgraded from: a detached git worktree of an older commit, with its own dependencies,
 * its own generated Prisma client and its own build, so that its instances run exactly that commit's code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { onCleanup, run } from '../../scale/lib/supervisor';

export interface OldRelease {
  rev: string;
  /** One line: short hash and subject. */
  describe: string;
  dir: string;
  /** How its node_modules was made: linked to HEAD's (same package-lock.json) or a fresh `npm ci`. */
  install: 'linked' | 'npm ci';
  /** The migrations HEAD adds on top of the old release's, in order. */
  newMigrations: string[];
}

const git = (root: string, args: string[]) => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8' }).trim();

/**
 * The default old release: the parent of the commit that last changed prisma/migrations, i.e. the last
 * commit that did not have the newest migration (on a merge: main before the merge).
 */
export function resolveOldRevision(root: string, requested: string | undefined): string {
  const rev = requested ?? `${git(root, ['log', '-n1', '--format=%H', '--', 'prisma/migrations'])}^`;
  try {
    return git(root, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  } catch {
    const shallow = git(root, ['rev-parse', '--is-shallow-repository']) === 'true';
    throw new Error(`no commit ${rev} in this clone${shallow ? ' (a shallow clone: git fetch --unshallow, or clone with enough history)' : ''}; set UPGRADE_FROM (or --from) to the release to upgrade from`);
  }
}

function migrationsOf(dir: string): string[] {
  const migrations = path.join(dir, 'prisma', 'migrations');
  return readdirSync(migrations, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

export async function prepareOldRelease(root: string, rev: string, workDir: string, logDir: string): Promise<OldRelease> {
  const dir = path.join(workDir, 'old-release');
  git(root, ['worktree', 'add', '--detach', dir, rev]);
  onCleanup('old release worktree', () => {
    git(root, ['worktree', 'remove', '--force', dir]);
    return Promise.resolve();
  });
  const describe = git(root, ['log', '-n1', '--format=%h %s', rev]).slice(0, 120);

  // HEAD must contain every migration of the old release, unchanged: otherwise this is not an upgrade
  // (and `migrate deploy` would refuse a modified migration anyway, with a less obvious message).
  const oldMigrations = migrationsOf(dir);
  const headMigrations = migrationsOf(root);
  const missing = oldMigrations.filter((name) => !headMigrations.includes(name));
  if (missing.length > 0) throw new Error(`${rev.slice(0, 10)} has migrations HEAD does not: ${missing.join(', ')}; UPGRADE_FROM must be an ancestor release`);
  const newMigrations = headMigrations.filter((name) => !oldMigrations.includes(name));

  const opts = (name: string, timeoutMs: number) => ({ cwd: dir, logPath: path.join(logDir, `old-${name}.log`), timeoutMs });
  const sameLock = installedTree(dir) === installedTree(root);
  // Same dependencies: link HEAD's node_modules (seconds instead of a minute of `npm ci`). Safe because the
  // generated Prisma client lives in the source tree (schema.prisma's generator output,
  // libs/database/src/generated), not in node_modules; a release that generated into node_modules (or
  // other dependencies) gets its own install, so that its `prisma generate` cannot overwrite HEAD's client.
  let install: OldRelease['install'];
  if (sameLock && !generatesIntoNodeModules(dir) && existsSync(path.join(root, 'node_modules'))) {
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    install = 'linked';
  } else {
    await run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund'], opts('npm-ci', 600_000));
    install = 'npm ci';
  }
  const prisma = path.join(dir, 'node_modules', 'prisma', 'build', 'index.js');
  await run(process.execPath, [prisma, 'generate'], { ...opts('prisma-generate', 120_000), env: { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' } });
  const nest = path.join(dir, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js');
  await run(process.execPath, [nest, 'build', 'api'], opts('build', 300_000));
  return { rev, describe, dir, install, newMigrations };
}

/**
 * What `npm ci` would put in node_modules: the lock file's packages, without the root entry (its version,
 * engines or scripts change nothing that is installed).
 */
function installedTree(dir: string): string {
  const lock = JSON.parse(readFileSync(path.join(dir, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
  const { ['']: _root, ...packages } = lock.packages;
  return JSON.stringify(packages);
}

function generatesIntoNodeModules(dir: string): boolean {
  const schema = readFileSync(path.join(dir, 'prisma', 'schema.prisma'), 'utf8');
  const output = /generator\s+client\s*\{[^}]*\boutput\s*=\s*"([^"]+)"/.exec(schema)?.[1];
  return output === undefined || output.includes('node_modules');
}
