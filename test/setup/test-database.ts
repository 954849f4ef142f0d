import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
// Relative, not @app/dev-database: Jest loads global setup with Node's own require, without its module mapper.
import { applyMigrations } from '../../libs/dev-database/src/migrations';
import { quoteIdent, withDatabase } from '../../libs/dev-database/src/database-url';
import { startEmbeddedPostgres } from '../../libs/dev-database/src/embedded-postgres';

/** Test databases are created, migrated and dropped per run; nothing else is ever dropped. */
export const TEST_DATABASE_PATTERN = /^listing_test_[a-z0-9_]+$/;

export interface TestDatabase {
  url: string;
  dispose(): Promise<void>;
}

async function onServer(adminUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, migrated database for one test run: on the server of DATABASE_URL when it is set, else on an
 * embedded PostgreSQL in a temporary directory (so `npm test` needs nothing installed).
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `listing_test_${Date.now().toString(36)}_${process.pid}`;
  if (!TEST_DATABASE_PATTERN.test(name)) throw new Error(`refusing to use database ${name}`);

  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const adminUrl = withDatabase(serverUrl, 'postgres');
    await onServer(adminUrl, `CREATE DATABASE ${quoteIdent(name)}`);
    const url = withDatabase(serverUrl, name);
    await applyMigrations(url);
    return {
      url,
      dispose: () => onServer(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
    };
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'listing-api-test-'));
  // mkdtemp makes it private to its creator; when that is root, Postgres runs as another user and must get in.
  chmodSync(dir, 0o755);
  const server = await startEmbeddedPostgres(path.join(dir, 'pg'), name);
  try {
    await applyMigrations(server.url);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    url: server.url,
    dispose: async () => {
      await server.stop();
      // server.dataDir is elsewhere when root had to move it (a private TMPDIR).
      for (const files of [server.dataDir, dir]) rmSync(files, { recursive: true, force: true });
    },
  };
}
