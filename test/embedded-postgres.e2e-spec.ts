import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { EmbeddedPostgresError, type EmbeddedPostgresHandle, embeddedPostgresNativeDir, startEmbeddedPostgres } from '@app/dev-database';

/*
 * `npm start` from a clone in a private directory (under /root, mode 700): as root, PostgreSQL runs as
 * the `postgres` account, which can enter neither the clone's node_modules nor its .data. Here the
 * binaries are made to look private too (a link to them inside the private directory), and the copies
 * and moved data go to temporary directories instead of /var/cache and /var/lib.
 */
const asRoot = process.geteuid?.() === 0;

async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

describe('embedded PostgreSQL in a private directory (mode 700)', () => {
  const cleanup: string[] = [];
  const servers: EmbeddedPostgresHandle[] = [];
  let home: string;
  let options: { nativeDir: string; binaryCache: string; dataHome: string; log: (message: string) => void };
  const logs: string[] = [];

  const reachable = (prefix: string) => {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    chmodSync(dir, 0o755);
    cleanup.push(dir);
    return dir;
  };

  beforeAll(() => {
    home = mkdtempSync(path.join(tmpdir(), 'listing-api-private-'));
    cleanup.push(home);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    symlinkSync(embeddedPostgresNativeDir(), path.join(home, 'native'));
    options = { nativeDir: path.join(home, 'native'), binaryCache: reachable('listing-api-bin-'), dataHome: reachable('listing-api-data-'), log: (message) => logs.push(message) };
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
  });

  it('starts, keeps its data across a restart, and says where the data lives when it had to move', async () => {
    const asked = path.join(home, 'app', '.data', 'postgres');
    const first = await startEmbeddedPostgres(asked, 'private_case', options);
    servers.push(first);
    await query(first.url, 'CREATE TABLE kept (value int); INSERT INTO kept VALUES (42)');
    await first.stop();

    const second = await startEmbeddedPostgres(asked, 'private_case', options);
    servers.push(second);
    expect(await query<{ value: number }>(second.url, 'SELECT value FROM kept')).toEqual([{ value: 42 }]);
    expect(second.dataDir).toBe(first.dataDir);

    if (asRoot) {
      // The data moved where the postgres account can reach it, linked from where it was asked for.
      expect(first.dataDir.startsWith(options.dataHome + path.sep)).toBe(true);
      expect(lstatSync(asked).isSymbolicLink()).toBe(true);
      expect(existsSync(path.join(first.dataDir, 'PG_VERSION'))).toBe(true);
      expect(logs).toContainEqual(expect.stringContaining(`the data lives in ${first.dataDir}`));
      expect(logs).toContainEqual(expect.stringMatching(/binaries were copied to /));
      // Once: the second start found both again and said nothing. (Whether this start or another test's made
      // the package's library links first depends on timing, so that line is not counted.)
      expect(logs.filter((line) => !line.includes('library links'))).toHaveLength(2);
    } else {
      // Not root: PostgreSQL runs as this user, the data stays where it was asked for.
      expect(first.dataDir).toBe(asked);
      expect(logs.filter((line) => !line.includes('library links'))).toEqual([]);
    }
  });

  it('runs in a process group of its own: a signal to the application\'s group (Ctrl-C, systemd) does not reach it', async () => {
    const server = await startEmbeddedPostgres(path.join(home, 'group', '.data', 'postgres'), 'private_case', options);
    servers.push(server);
    // postmaster.pid's first line is the server's pid; /proc/<pid>/stat's fifth field its process group.
    const postmaster = Number(readFileSync(path.join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const groupOf = (pid: number | 'self') => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[2]);
    expect(postmaster).toBeGreaterThan(0);
    expect(groupOf(postmaster)).toBe(postmaster);
    expect(groupOf(postmaster)).not.toBe(groupOf('self'));
    await server.stop();
  });

  it('starts from binaries whose install script never ran (npm 12 skips dependency install scripts): it makes the library links first', async () => {
    // A copy of the package's native/ without the links its postinstall makes, as `npm ci` leaves it when
    // install scripts are skipped. Reachable by the postgres account, so it is used where it is.
    const copy = path.join(reachable('listing-api-unlinked-'), 'native');
    execFileSync('cp', ['-a', embeddedPostgresNativeDir(), copy]);
    const links = JSON.parse(readFileSync(path.join(copy, 'pg-symlinks.json'), 'utf8')) as { target: string }[];
    expect(links.length).toBeGreaterThan(0);
    for (const { target } of links) rmSync(path.join(copy, '..', target), { force: true });
    expect(existsSync(path.join(copy, 'lib', 'libpq.so.5'))).toBe(false);

    const seen: string[] = [];
    const server = await startEmbeddedPostgres(path.join(reachable('listing-api-unlinked-data-'), 'postgres'), 'unlinked_case', { ...options, nativeDir: copy, log: (message) => seen.push(message) });
    servers.push(server);
    expect(await query<{ answer: number }>(server.url, 'SELECT 6 * 7 AS answer')).toEqual([{ answer: 42 }]);
    expect(seen).toContainEqual(`Made the ${links.length} library links the binaries need in ${copy} (the package's install script did not run)`);
    expect(lstatSync(path.join(copy, 'lib', 'libpq.so.5')).isSymbolicLink()).toBe(true);
    await server.stop();
  });

  (asRoot ? it : it.skip)('repairs a copy in the binary cache that was made before the links existed', async () => {
    // A start by an earlier version copied the binaries to the cache without their links and failed; the copy
    // stays there (one per package version), so the next start must fix it rather than fail the same way again.
    const cache = reachable('listing-api-stale-bin-');
    const dataDir = path.join(home, 'stale', '.data', 'postgres');
    const first = await startEmbeddedPostgres(dataDir, 'stale_cache_case', { ...options, binaryCache: cache, log: () => undefined });
    servers.push(first);
    await first.stop();
    // The copy the first start made, made stale: as an older version left it, without its library links.
    const [entry] = readdirSync(cache).filter((name) => !name.startsWith('.'));
    const stale = path.join(cache, entry);
    const links = JSON.parse(readFileSync(path.join(stale, 'pg-symlinks.json'), 'utf8')) as { target: string }[];
    for (const { target } of links) rmSync(path.join(stale, path.relative('native', target)), { force: true });
    expect(existsSync(path.join(stale, 'lib', 'libpq.so.5'))).toBe(false);

    const server = await startEmbeddedPostgres(dataDir, 'stale_cache_case', { ...options, binaryCache: cache, log: () => undefined });
    servers.push(server);
    expect(await query<{ answer: number }>(server.url, 'SELECT 6 * 7 AS answer')).toEqual([{ answer: 42 }]);
    expect(lstatSync(path.join(stale, 'lib', 'libpq.so.5')).isSymbolicLink()).toBe(true);
    await server.stop();
  });

  (asRoot ? it : it.skip)('fails at once, in one line, on an existing cluster the postgres account cannot reach', async () => {
    const asked = path.join(home, 'old', 'postgres');
    mkdirSync(asked, { recursive: true });
    writeFileSync(path.join(asked, 'PG_VERSION'), '18\n');
    const started = Date.now();
    const failure = await startEmbeddedPostgres(asked, 'private_case', options).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(EmbeddedPostgresError);
    const { message } = failure as EmbeddedPostgresError;
    expect(message).not.toContain('\n');
    expect(message).toContain(`cannot enter ${home} (mode 700)`);
    expect(message).toContain('DATABASE_URL');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
