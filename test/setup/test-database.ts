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
  /**
   * A migrated copy of it, on the same server, that nothing ever connects to: createSuiteDatabase clones
   * it (CREATE DATABASE … TEMPLATE, a file copy) in a fraction of the time migrating takes.
   */
  templateUrl: string;
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
    const templateUrl = await createTemplate(adminUrl, name);
    return {
      url,
      templateUrl,
      // The run's database, its template, and any suite database a crashed worker left behind.
      dispose: async () => {
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        try {
          const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [name]);
          for (const { datname } of rows) if (TEST_DATABASE_PATTERN.test(datname)) await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
        } finally {
          await client.end();
        }
      },
    };
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'listing-api-test-'));
  // mkdtemp makes it private to its creator; when that is root, Postgres runs as another user and must get in.
  chmodSync(dir, 0o755);
  const server = await startEmbeddedPostgres(path.join(dir, 'pg'), name);
  let templateUrl: string;
  try {
    await applyMigrations(server.url);
    templateUrl = await createTemplate(withDatabase(server.url, 'postgres'), name);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    url: server.url,
    templateUrl,
    dispose: async () => {
      await server.stop();
      // server.dataDir is elsewhere when root had to move it (a private TMPDIR).
      for (const files of [server.dataDir, dir]) rmSync(files, { recursive: true, force: true });
    },
  };
}

/** `<name>_template`: a copy of the freshly migrated `name`, taken before anything connects to it. */
async function createTemplate(adminUrl: string, name: string): Promise<string> {
  const template = `${name}_template`;
  await onServer(adminUrl, `CREATE DATABASE ${quoteIdent(template)} TEMPLATE ${quoteIdent(name)}`);
  return withDatabase(adminUrl, template);
}

let suiteDatabases = 0;

/**
 * A database of one spec file's own, for the few whose effects reach past their own rows (a retention
 * purge, rows held locked, server-wide counts): a copy of the run's migrated template on the run's
 * server (TEST_DATABASE_TEMPLATE_URL, set by global setup), dropped by `dispose` or with the run's.
 * Transaction ids, and so the change feed's horizon, are server-wide: a database of its own does not
 * shield others from a transaction left open in it (test/query-plans.e2e-spec.ts uses a server of its own).
 */
export async function createSuiteDatabase(): Promise<TestDatabase> {
  const templateUrl = process.env.TEST_DATABASE_TEMPLATE_URL;
  if (!templateUrl) throw new Error('TEST_DATABASE_TEMPLATE_URL is not set: run e2e tests through jest (global setup creates the template)');
  const template = decodeURIComponent(new URL(templateUrl).pathname.slice(1));
  suiteDatabases += 1;
  const name = `${template.replace(/_template$/, '')}_own_${process.pid}_${suiteDatabases}`;
  if (!TEST_DATABASE_PATTERN.test(name)) throw new Error(`refusing to use database ${name}`);
  const adminUrl = withDatabase(templateUrl, 'postgres');
  await onServer(adminUrl, `CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
  return {
    url: withDatabase(templateUrl, name),
    templateUrl,
    dispose: () => onServer(adminUrl, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
  };
}
