/** The benchmark's databases: listing_bench_<size> on DATABASE_URL's server, migrated and filled. */
import path from 'node:path';
import { Client } from 'pg';
import { defaultOwners, generateData } from '../../scripts/generate-data';
import { runCommand } from './processes';

export interface DataSize {
  name: 'smoke' | 'small' | 'large';
  listings: number;
  prices: number;
}

export const SIZES: Record<DataSize['name'], DataSize> = {
  smoke: { name: 'smoke', listings: 200, prices: 1_000 },
  small: { name: 'small', listings: 10_000, prices: 100_000 },
  large: { name: 'large', listings: 1_000_000, prices: 10_000_000 },
};

/** The same server and credentials as `serverUrl`, another database. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Creates (if missing), migrates and fills listing_bench_<size>. Generating 1M/10M takes minutes, so data
 * already there with the right counts is reused. The name is fixed: the runner never touches any other database.
 */
export async function prepareDatabase(serverUrl: string, size: DataSize, logDir: string, log: (line: string) => void): Promise<string> {
  const name = `listing_bench_${size.name}`;
  const url = databaseUrl(serverUrl, name);
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      log(`creating database ${name}`);
      await admin.query(`CREATE DATABASE ${name}`);
    }
  } finally {
    await admin.end();
  }
  // Always: a migration added since the data was generated (an index, say) must be there for both servers.
  await runCommand(path.join('node_modules', '.bin', 'prisma'), ['migrate', 'deploy'], { ...process.env, DATABASE_URL: url }, path.join(logDir, `migrate-${size.name}.log`), 180_000);

  const counts = await countRows(url);
  const owners = defaultOwners(size.listings);
  if (counts.listings === size.listings && counts.prices === size.prices && counts.owners === owners) {
    log(`${name}: reusing ${counts.listings} listings / ${counts.prices} prices`);
  } else {
    log(`${name}: generating ${size.listings} listings / ${size.prices} prices (found ${counts.listings} / ${counts.prices})`);
    await generateData(
      { databaseUrl: url, listings: size.listings, prices: size.prices, owners, seed: 1, truncate: true, verify: size.name !== 'large', now: startOfTodayUtc() },
      log,
    );
  }
  return url;
}

function startOfTodayUtc(): Date {
  return new Date(`${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`);
}

async function countRows(url: string): Promise<{ listings: number; prices: number; owners: number }> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ listings: string; prices: string; owners: string }>(
      `SELECT (SELECT count(*) FROM listing) AS listings, (SELECT count(*) FROM listing_price) AS prices,
              (SELECT count(*) FROM app_user WHERE email LIKE 'owner%@example.test') AS owners`,
    );
    return { listings: Number(rows[0].listings), prices: Number(rows[0].prices), owners: Number(rows[0].owners) };
  } finally {
    await client.end();
  }
}
