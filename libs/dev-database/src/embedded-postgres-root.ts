/*
 * What changes when the embedded PostgreSQL is started by root. PostgreSQL refuses to run as root, so it
 * runs as an unprivileged `postgres` account, which must be able to reach both its binaries and its data
 * directory. A clone under /root (mode 700), or under any private directory, lets neither through; rather
 * than loosen the user's directory, the binaries are copied once to a root-owned cache and a new cluster's
 * data lives under /var/lib, linked from where it was asked for. Nothing here runs for other users.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmod, copyFile, link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, realpath, rename, rm, rmdir, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedPostgresError, USE_YOUR_OWN, firstLine } from './embedded-postgres-errors';

const run = promisify(execFile);

export interface PostgresAccount {
  name: string;
  uid: number;
  gid: number;
}

/** Where root keeps the copied binaries and the data of clusters their account could not reach. */
export const ROOT_BINARY_CACHE = '/var/cache/listing-api';
export const ROOT_DATA_HOME = '/var/lib/listing-api';

export function runningAsRoot(): boolean {
  return process.geteuid?.() === 0;
}

async function lookUp(name: string): Promise<PostgresAccount | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { name, uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
  } catch {
    return undefined;
  }
}

/** The account PostgreSQL runs as when started by root, created (as a system account) when missing. */
export async function postgresAccount(name = 'postgres'): Promise<PostgresAccount> {
  const existing = await lookUp(name);
  if (existing) return existing;
  try {
    await run('groupadd', ['--system', name]).catch((error: unknown) => {
      // 9: the group already exists.
      if ((error as { code?: unknown }).code !== 9) throw error;
    });
    await run('useradd', ['--system', '--gid', name, '--no-create-home', name]);
  } catch (error) {
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL: started as root, PostgreSQL must run as an unprivileged "${name}" account, and creating it failed (${firstLine(error)}): ` +
        `create it (useradd --system ${name}), start as a non-root user, ${USE_YOUR_OWN}.`,
      { cause: error },
    );
  }
  const created = await lookUp(name);
  if (!created) throw new EmbeddedPostgresError(`Embedded PostgreSQL: the "${name}" account was created but cannot be found: start as a non-root user, ${USE_YOUR_OWN}.`);
  return created;
}

/**
 * Whether `account` can reach every target: search (enter) it when it is a directory, execute it when
 * it is a file. Asked of the kernel as that account (access(2) through `test -x`), so every parent directory,
 * ACL and mount option counts.
 */
export function accountCanReach(account: PostgresAccount, ...targets: string[]): boolean {
  const script = 'for target; do test -x "$target" || exit 1; done';
  const result = spawnSync('/bin/sh', ['-c', script, 'sh', ...targets], { uid: account.uid, gid: account.gid, cwd: '/', stdio: 'ignore', timeout: 10_000 });
  return result.status === 0;
}

/** The first directory on the way to `target` that `account` cannot enter, with its mode, for messages. */
export async function firstBlockingDirectory(account: PostgresAccount, target: string): Promise<string> {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  for (let i = 1; i <= parts.length; i += 1) {
    const directory = path.sep + parts.slice(0, i).join(path.sep);
    const info = await stat(directory).catch(() => undefined);
    if (!info?.isDirectory()) break;
    if (!accountCanReach(account, directory)) return `${directory} (mode ${(info.mode & 0o777).toString(8)})`;
  }
  return path.dirname(path.resolve(target));
}

/** Copies a directory tree, hard-linking files where the file system allows it (no space, no time). */
async function copyTree(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) {
      await mkdir(target, { mode: 0o755 });
      await chmod(target, 0o755);
      await copyTree(source, target);
    } else if (entry.isSymbolicLink()) {
      await symlink(await readlink(source), target);
    } else if (entry.isFile()) {
      try {
        await link(source, target);
      } catch {
        // Another file system (EXDEV), or links not allowed: a real copy.
        await copyFile(source, target);
        await chmod(target, (await stat(source)).mode & 0o755);
      }
    }
  }
}

async function packageVersion(nativeDir: string): Promise<string> {
  try {
    const manifest = JSON.parse(await readFile(path.join(nativeDir, '..', 'package.json'), 'utf8')) as { name?: string; version?: string };
    return `${(manifest.name ?? 'embedded-postgres').replace(/^@/, '').replace(/[^A-Za-z0-9._-]+/g, '-')}-${manifest.version ?? 'unknown'}`;
  } catch {
    return `embedded-postgres-${process.platform}-${process.arch}`;
  }
}

/**
 * The `native` directory (bin/, lib/, share/) to run PostgreSQL from: the package's own when the account
 * can reach it, else a copy in `cacheRoot`, made once per package version (staged, then renamed into
 * place, so a half-made copy is never used and concurrent starts agree).
 */
export async function reachableBinaries(account: PostgresAccount, nativeDir: string, cacheRoot: string, log: (message: string) => void): Promise<string> {
  const usable = (dir: string) => accountCanReach(account, path.join(dir, 'bin', 'postgres'), path.join(dir, 'bin', 'initdb'));
  if (usable(nativeDir)) return nativeDir;

  const source = await realpath(nativeDir);
  const cached = path.join(cacheRoot, await packageVersion(source));
  if (!(await stat(cached).catch(() => undefined))) {
    const blocker = await firstBlockingDirectory(account, path.join(nativeDir, 'bin', 'postgres'));
    let staging: string | undefined;
    try {
      await mkdir(cacheRoot, { recursive: true, mode: 0o755 });
      staging = await mkdtemp(path.join(cacheRoot, '.staging-'));
      await copyTree(source, staging);
      await chmod(staging, 0o755);
      await rename(staging, cached).catch((error: unknown) => {
        // Another start got there first: use its copy.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      });
    } catch (error) {
      throw new EmbeddedPostgresError(
        `Embedded PostgreSQL: the "${account.name}" account it runs as under root cannot enter ${blocker}, and copying its binaries to ${cacheRoot} failed (${firstLine(error)}): ` +
          `clone the project outside private directories (e.g. /opt), start as a non-root user, ${USE_YOUR_OWN}.`,
        { cause: error },
      );
    } finally {
      if (staging) await rm(staging, { recursive: true, force: true });
    }
    log(`The "${account.name}" account PostgreSQL runs as cannot enter ${blocker}: its binaries were copied to ${cached}`);
  }
  if (!usable(cached)) {
    const blocker = await firstBlockingDirectory(account, path.join(cached, 'bin', 'postgres'));
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL: the "${account.name}" account cannot run the binaries copied to ${cached} (blocked at ${blocker}): remove ${cached} and start again, start as a non-root user, ${USE_YOUR_OWN}.`,
    );
  }
  return cached;
}

/**
 * The real data directory for a cluster asked for at `requested`. When the account can reach it, that
 * (following a link left by an earlier start). When it cannot and nothing is there yet, a new directory
 * under `dataHome`, linked from `requested` so that later starts find it (the log says where it is).
 * An existing cluster the account cannot reach is left alone: a one-line error says what to do.
 */
export async function reachableDataDirectory(account: PostgresAccount, requested: string, dataHome: string, log: (message: string) => void): Promise<string> {
  const asked = path.resolve(requested);
  const info = await lstat(asked).catch(() => undefined);
  let real = asked;
  if (info?.isSymbolicLink()) real = await realpath(asked).catch(async () => path.resolve(path.dirname(asked), await readlink(asked)));
  else if (info) real = await realpath(asked);

  await mkdir(path.dirname(real), { recursive: true });
  if (accountCanReach(account, path.dirname(real))) return real;

  const blocker = await firstBlockingDirectory(account, real);
  if (info?.isSymbolicLink()) {
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL: ${asked} links to ${real}, which the "${account.name}" account it runs as under root cannot reach (blocked at ${blocker}): ` +
        `remove the link to start a new cluster, set DATA_DIR to a directory it can reach, ${USE_YOUR_OWN}.`,
    );
  }
  if (info) {
    const empty = info.isDirectory() && (await readdir(asked)).length === 0;
    if (!empty) {
      throw new EmbeddedPostgresError(
        `Embedded PostgreSQL: the "${account.name}" account it runs as under root cannot enter ${blocker}, so it cannot use the existing data directory ${asked}: ` +
          `move that directory somewhere it can reach and set DATA_DIR to its parent, start as the user who created it, ${USE_YOUR_OWN}.`,
      );
    }
    await rmdir(asked);
  }

  let relocated: string | undefined;
  try {
    await mkdir(dataHome, { recursive: true, mode: 0o755 });
    if (!accountCanReach(account, dataHome)) throw new Error(`it cannot enter ${await firstBlockingDirectory(account, path.join(dataHome, 'x'))} either`);
    // A new name each time: removing the link (rm -rf .data) starts a new cluster, as it does elsewhere.
    const label = asked.replace(/^[\\/]+/, '').replace(/[^A-Za-z0-9._-]+/g, '-').slice(-80);
    relocated = await mkdtemp(path.join(dataHome, `${label}-`));
    await symlink(relocated, asked);
  } catch (error) {
    if (relocated) await rm(relocated, { recursive: true, force: true });
    throw new EmbeddedPostgresError(
      `Embedded PostgreSQL: the "${account.name}" account it runs as under root cannot enter ${blocker}, and making a data directory under ${dataHome} failed (${firstLine(error)}): ` +
        `set DATA_DIR to a directory it can reach, start as a non-root user, ${USE_YOUR_OWN}.`,
      { cause: error },
    );
  }
  log(`The "${account.name}" account PostgreSQL runs as cannot enter ${blocker}: the data lives in ${relocated} (linked from ${asked})`);
  return relocated;
}
