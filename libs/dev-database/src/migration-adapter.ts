/**
 * The driver adapter Prisma's WebAssembly schema engine uses for `migrate deploy|dev|reset|status`
 * (see prisma.config.ts). Prisma 6.19's CLI would otherwise download a native schema engine, which
 * these machines cannot reach. Upstream gaps in @prisma/adapter-pg 6.19 are worked around here
 * (prisma/prisma issue 27403); nothing at runtime uses this file.
 *
 * Not fixable here (Prisma 6.19.3 CLI/engine): `migrate dev --create-only` writes its migration and
 * then exits 1 with "null pointer passed to rust" (the CLI frees the wasm engine twice); `migrate dev`
 * on a database with unapplied migrations applies them, then fails with "PostgreSQL shadow DB must be
 * provided through an external factory" (evaluateDataLoss cannot reach connectToShadowDb), and a
 * second run succeeds. Run `migrate deploy` first to avoid the latter.
 */
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { parseDatabaseUrl, quoteIdent } from './database-url';

/** What adapter-pg hands the schema engine; the types come from adapter-pg's own declarations. */
type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;
type PgTransaction = Awaited<ReturnType<PgAdapter['startTransaction']>>;
type ResultSet = Awaited<ReturnType<PgAdapter['queryRaw']>>;
type ColumnType = ResultSet['columnTypes'][number];
type QueryRaw = PgAdapter['queryRaw'];

const PG_CHAR = 18;
const PG_NAME = 19;
const PG_TEXT = 25;
/** ColumnTypeEnum.Character in @prisma/driver-adapter-utils: becomes quaint's Value::Char. */
const CHARACTER_COLUMN: ColumnType = 6;

interface FieldLike {
  dataTypeID: number;
}

interface PgResultLike {
  fields?: FieldLike[];
  rows?: unknown[];
}

/**
 * Positions of the columns that were Postgres' one-byte "char" type, keyed by the result's `rows`
 * array. adapter-pg returns that very array from queryRaw, so `characterAwareQueryRaw` can find the
 * positions again after adapter-pg has mapped the (relabelled) fields to column types. A WeakMap
 * keyed per result is safe under concurrent queries and frees itself with the result.
 */
const charColumnsByRows = new WeakMap<object, number[]>();

/**
 * The schema engine's catalog queries return Postgres' internal "char" (oid 18) and name (oid 19)
 * columns, which adapter-pg 6.19 cannot map to a column type ("Column type ... could not be
 * deserialized"). Both are plain text on the wire, so relabel them as text here, and remember where
 * the "char" columns were: see characterAwareQueryRaw for why those need more than text.
 */
function retypeCatalogFields(result: unknown): void {
  const results = Array.isArray(result) ? result : [result];
  for (const r of results as (PgResultLike | null | undefined)[]) {
    const charColumns: number[] = [];
    (r?.fields ?? []).forEach((field, index) => {
      if (field.dataTypeID === PG_CHAR) charColumns.push(index);
      if (field.dataTypeID === PG_CHAR || field.dataTypeID === PG_NAME) field.dataTypeID = PG_TEXT;
    });
    if (charColumns.length > 0 && Array.isArray(r?.rows)) charColumnsByRows.set(r.rows, charColumns);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

/**
 * pg-pool calls query() in callback form, a checked-out client (transactions) in promise form, so
 * both forms are patched.
 */
class CatalogTolerantClient extends pg.Client {
  // The signature has to match every overload of pg's query(), which only `any` does.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...rawArgs: any[]): any {
    const args: unknown[] = rawArgs;
    const superQuery = super.query.bind(this) as unknown as (...queryArgs: unknown[]) => unknown;
    const last: unknown = args[args.length - 1];
    if (typeof last === 'function') {
      const callback = last as (err: Error | null, res: unknown) => void;
      args[args.length - 1] = (err: Error | null, res: unknown) => {
        if (!err) retypeCatalogFields(res);
        callback(err, res);
      };
      return superQuery(...args);
    }
    const pending = superQuery(...args);
    if (isPromiseLike(pending)) {
      return pending.then((res: unknown) => {
        retypeCatalogFields(res);
        return res;
      });
    }
    // A Submittable (e.g. a cursor) passed straight through: the schema engine never uses one.
    return pending;
  }
}

/**
 * Relabelling "char" as text is not enough: the schema describer reads e.g. pg_constraint.contype
 * with `get_expect_char`, which only accepts quaint's Value::Char (what the native engine produces
 * for "char"), and panics on text, surfacing as wasm `RuntimeError: unreachable` in `migrate dev`.
 * adapter-pg maps no scalar oid to ColumnTypeEnum.Character, so set it on the "char" columns here.
 */
function characterAwareQueryRaw(queryRaw: QueryRaw): QueryRaw {
  return async (query) => {
    const result = await queryRaw(query);
    const charColumns = charColumnsByRows.get(result.rows);
    if (!charColumns) return result;
    const columnTypes = [...result.columnTypes];
    for (const index of charColumns) columnTypes[index] = CHARACTER_COLUMN;
    return { ...result, columnTypes };
  };
}

/**
 * Fixes an adapter-pg adapter for the schema engine. The instance is patched in place (rather than
 * wrapped) so that everything else the CLI binds from it (getConnectionInfo, dispose, ...) stays
 * adapter-pg's own.
 */
function forSchemaEngine(adapter: PgAdapter): PgAdapter {
  adapter.queryRaw = characterAwareQueryRaw(adapter.queryRaw.bind(adapter));
  const startTransaction = adapter.startTransaction.bind(adapter);
  adapter.startTransaction = async (isolationLevel): Promise<PgTransaction> => {
    const tx = await startTransaction(isolationLevel);
    tx.queryRaw = characterAwareQueryRaw(tx.queryRaw.bind(tx));
    return tx;
  };
  // The engine runs each migration.sql through executeScript. adapter-pg's version splits the script
  // on every ";" (so a ";" in a comment, string or function body breaks the migration) and runs the
  // pieces as separate autocommitted statements. The native engine sends the whole script as one
  // simple query (all statements in one implicit transaction); executeRaw without arguments does
  // exactly that in pg (no parameters: simple query protocol), with adapter-pg's error mapping.
  adapter.executeScript = async (script) => {
    await adapter.executeRaw({ sql: script, args: [], argTypes: [] });
  };
  return adapter;
}

function poolFor(url: string, database?: string): pg.Pool {
  const parts = parseDatabaseUrl(url);
  return new pg.Pool({
    host: parts.host,
    port: parts.port,
    user: parts.user,
    password: parts.password,
    database: database ?? parts.database,
    max: 2,
    Client: CatalogTolerantClient,
  });
}

/** Runs one statement on a short-lived connection to the DATABASE_URL database (CREATE/DROP DATABASE). */
async function runOnMainDatabase(url: string, sql: string): Promise<void> {
  const client = new pg.Client(parseDatabaseUrl(url));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * adapter-pg's own connectToShadowDb reuses the main connection string (so the "shadow" is the real
 * database) and drops the shadow database before closing its pool. This one creates a uniquely named
 * shadow database, connects to it by name, and on dispose closes the pool first, then drops it.
 */
class MigrationAdapterFactory extends PrismaPg {
  constructor(private readonly url: string) {
    super(poolFor(url), { disposeExternalPool: true });
  }

  override async connect(): Promise<PgAdapter> {
    return forSchemaEngine(await super.connect());
  }

  override async connectToShadowDb(): Promise<PgAdapter> {
    const name = `prisma_shadow_${randomUUID().replaceAll('-', '')}`;
    const dropShadow = () => runOnMainDatabase(this.url, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    await runOnMainDatabase(this.url, `CREATE DATABASE ${quoteIdent(name)}`);
    let adapter: PgAdapter;
    try {
      adapter = forSchemaEngine(await new PrismaPg(poolFor(this.url, name), { disposeExternalPool: true }).connect());
    } catch (error) {
      await dropShadow();
      throw error;
    }
    const closePool = adapter.dispose.bind(adapter);
    adapter.dispose = async () => {
      await closePool();
      await dropShadow();
    };
    return adapter;
  }
}

export function createMigrationAdapter(url: string): PrismaPg {
  return new MigrationAdapterFactory(url);
}
