/**
 * Fills the database at DATABASE_URL with realistic, deterministic listings, owners and price histories,
 * for load tests and query plans at production-like sizes:
 *
 *   npm run db:generate -- --listings 1000000 --prices 10000000 [--owners N] [--seed S] [--truncate] [--verify]
 *
 * Everything is set-based SQL (INSERT … SELECT FROM generate_series): the pseudo-random numbers come from
 * hashing (row key, seed) with hashint8extended, so the same options always give the same rows, and no
 * row ever travels through Node. The whole load is one transaction: interrupted, it leaves nothing behind.
 *
 * Price history invariant (the one the service maintains): every listing has at least one entry; the first
 * is at the listing's created_date with its first price; entries strictly increase in created_date; the
 * newest has the listing's latest_price_eur and is stamped with its updated_date. The listing's price summary
 * columns (entries, first, previous, min, max, last change, drop %) are what its history gives.
 */
import { parseArgs } from 'node:util';
import { hash } from '@node-rs/argon2';
import { Client } from 'pg';

/** Every generated owner's password (the hash is real, so they can all log in with it). */
export const BENCH_PASSWORD = 'bench-password';

interface Country {
  country: string;
  streets: string[];
  /** "48, rue de la Paix" (FR) rather than "Hauptstraße 48". */
  numberFirst: boolean;
  /** Mobile prefixes in E.164, completed with phoneDigits random digits. */
  phonePrefixes: string[];
  phoneDigits: number;
}

const COUNTRIES: Country[] = [
  { country: 'FR', numberFirst: true, phonePrefixes: ['+336', '+337'], phoneDigits: 8,
    streets: ['rue de la République', 'avenue Victor Hugo', 'boulevard des Capucins', 'rue du Moulin', 'place de la Mairie', 'rue Pasteur', 'allée des Tilleuls', 'quai de la Loire'] },
  { country: 'DE', numberFirst: false, phonePrefixes: ['+49151', '+49160', '+49170', '+49176'], phoneDigits: 8,
    streets: ['Hauptstraße', 'Bahnhofstraße', 'Schillerstraße', 'Gartenweg', 'Lindenallee', 'Goethestraße', 'Kirchplatz', 'Am Markt'] },
  { country: 'ES', numberFirst: false, phonePrefixes: ['+346', '+347'], phoneDigits: 8,
    streets: ['Calle Mayor', 'Avenida de la Constitución', 'Calle Real', 'Paseo del Prado', 'Calle de Alcalá', 'Plaza de España', 'Calle Nueva', 'Rambla del Mar'] },
  { country: 'IT', numberFirst: false, phonePrefixes: ['+39320', '+39333', '+39347', '+39349'], phoneDigits: 7,
    streets: ['Via Roma', 'Via Garibaldi', 'Corso Vittorio Emanuele', 'Via Dante', 'Piazza del Duomo', 'Via Mazzini', 'Viale dei Mille', 'Via Verdi'] },
  { country: 'BE', numberFirst: false, phonePrefixes: ['+32470', '+32475', '+32486', '+32495'], phoneDigits: 6,
    streets: ['Rue Neuve', 'Avenue Louise', 'Kerkstraat', 'Stationsstraat', 'Rue de la Station', 'Grote Markt', 'Chaussée de Wavre', 'Meir'] },
];

interface City {
  name: string;
  country: string;
  /** Postal codes are drawn from postalFirst .. postalFirst + postalSpan - 1, zero-padded to postalDigits. */
  postalFirst: number;
  postalSpan: number;
  postalDigits: number;
  /** Typical asking price per m², in euros. */
  eurM2: number;
  /** Relative share of the listings. */
  weight: number;
}

const city = (name: string, country: string, postalFirst: number, postalLast: number, eurM2: number, weight: number): City => ({
  name, country, postalFirst, postalSpan: postalLast - postalFirst + 1, postalDigits: country === 'BE' ? 4 : 5, eurM2, weight,
});

// 51 cities in FR, DE, ES, IT and BE, with real postal-code ranges and rough prices per m².
const CITIES: City[] = [
  city('Paris', 'FR', 75001, 75020, 10500, 60), city('Lyon', 'FR', 69001, 69009, 5000, 20), city('Marseille', 'FR', 13001, 13016, 3600, 18),
  city('Toulouse', 'FR', 31000, 31500, 3800, 12), city('Nice', 'FR', 6000, 6300, 5200, 10), city('Nantes', 'FR', 44000, 44300, 3900, 10),
  city('Strasbourg', 'FR', 67000, 67200, 3700, 8), city('Montpellier', 'FR', 34000, 34090, 3900, 8), city('Bordeaux', 'FR', 33000, 33800, 4600, 10),
  city('Lille', 'FR', 59000, 59800, 3700, 9), city('Rennes', 'FR', 35000, 35700, 4000, 7), city('Grenoble', 'FR', 38000, 38100, 2900, 6),
  city('Annecy', 'FR', 74000, 74370, 5600, 4),
  city('Berlin', 'DE', 10115, 14199, 5500, 40), city('Hamburg', 'DE', 20095, 22769, 6000, 20), city('München', 'DE', 80331, 81929, 9500, 20),
  city('Köln', 'DE', 50667, 51149, 4800, 12), city('Frankfurt am Main', 'DE', 60306, 60599, 6200, 10), city('Stuttgart', 'DE', 70173, 70629, 5500, 8),
  city('Düsseldorf', 'DE', 40210, 40629, 5000, 8), city('Leipzig', 'DE', 4103, 4357, 2800, 7), city('Dresden', 'DE', 1067, 1328, 2900, 6),
  city('Hannover', 'DE', 30159, 30669, 3500, 6), city('Nürnberg', 'DE', 90402, 90491, 4100, 5), city('Bremen', 'DE', 28195, 28779, 3000, 5),
  city('Berchtesgaden', 'DE', 83471, 83471, 4500, 1),
  city('Madrid', 'ES', 28001, 28055, 4500, 30), city('Barcelona', 'ES', 8001, 8042, 4600, 25), city('Valencia', 'ES', 46001, 46026, 2300, 10),
  city('Sevilla', 'ES', 41001, 41020, 2400, 8), city('Málaga', 'ES', 29001, 29018, 3300, 8), city('Bilbao', 'ES', 48001, 48015, 3300, 5),
  city('Zaragoza', 'ES', 50001, 50021, 1900, 5), city('Palma', 'ES', 7001, 7015, 4100, 5), city('Alicante', 'ES', 3001, 3016, 2300, 5),
  city('Granada', 'ES', 18001, 18015, 2200, 3),
  city('Roma', 'IT', 118, 199, 3700, 30), city('Milano', 'IT', 20121, 20162, 5200, 25), city('Napoli', 'IT', 80121, 80147, 2800, 10),
  city('Torino', 'IT', 10121, 10156, 2100, 8), city('Firenze', 'IT', 50121, 50145, 4300, 7), city('Bologna', 'IT', 40121, 40141, 3600, 6),
  city('Venezia', 'IT', 30121, 30176, 4500, 4), city('Genova', 'IT', 16121, 16167, 2000, 5), city('Palermo', 'IT', 90121, 90151, 1500, 4),
  city('Verona', 'IT', 37121, 37142, 2700, 3),
  city('Bruxelles', 'BE', 1000, 1210, 3600, 15), city('Antwerpen', 'BE', 2000, 2660, 3000, 8), city('Gent', 'BE', 9000, 9052, 3100, 5),
  city('Liège', 'BE', 4000, 4101, 2100, 4), city('Brugge', 'BE', 8000, 8310, 2900, 3),
];

export interface GenerateOptions {
  databaseUrl: string;
  listings: number;
  prices: number;
  owners: number;
  seed: number;
  truncate: boolean;
  /** Checks the price-history invariant over the whole table after loading (a full scan: slow at 10M rows). */
  verify: boolean;
  /** The "present" the data is relative to (created dates spread over the 3 years before it). */
  now: Date;
}

export type Log = (line: string) => void;

/** Share of listings with a very long history, and the share of the extra entries they get between them. */
const HEAVY_LISTING_SHARE = 0.0001;
const HEAVY_ENTRY_SHARE = 0.1;
const MAX_ENTRIES_PER_LISTING = 1 << 20; // the key of an entry's random numbers is (listing_id << 20 | k)
const YEAR_MS = 365.25 * 24 * 3600 * 1000;

/** Defaults: one owner per hundred listings, so owner1 has enough listings to write to under load. */
export function defaultOwners(listings: number): number {
  return Math.max(1, Math.ceil(listings / 100));
}

export async function generateData(options: GenerateOptions, log: Log = (line) => process.stdout.write(`${line}\n`)): Promise<void> {
  validate(options);
  const client = new Client({ connectionString: options.databaseUrl, application_name: 'generate-data' });
  await client.connect();
  const timed = async <T>(step: string, work: () => Promise<T>): Promise<T> => {
    const started = process.hrtime.bigint();
    const result = await work();
    log(`  ${step.padEnd(44)} ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(2).padStart(8)} s`);
    return result;
  };
  const total = process.hrtime.bigint();
  try {
    log(`Generating ${options.listings} listings, ${options.prices} prices, ${options.owners} owners (seed ${options.seed}, now ${options.now.toISOString()})`);
    const existing = await count(client, 'listing');
    if (existing > 0 && !options.truncate) {
      throw new Error(`The listing table already holds ${existing} rows: pass --truncate to replace all users, listings and prices`);
    }
    if (options.truncate) {
      await timed('truncate', () => client.query('TRUNCATE app_user, listing, listing_price, refresh_token RESTART IDENTITY CASCADE'));
    }
    // One real argon2id hash (OWASP minimum, as the service uses), shared by every owner: any of them can
    // log in with BENCH_PASSWORD, and hashing a million passwords would take hours.
    const passwordHash = await timed('argon2id hash of the shared password', () =>
      hash(BENCH_PASSWORD, { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 }),
    );

    await client.query('BEGIN');
    // Local to this transaction: a bulk load needs no per-commit flush, and sorts for the index builds
    // stay in memory. Nothing outlives the transaction.
    await client.query("SET LOCAL synchronous_commit = off; SET LOCAL work_mem = '256MB'; SET LOCAL maintenance_work_mem = '1GB'");
    const deferred = await timed('drop listing_price indexes and foreign key', () => dropPriceIndexes(client));
    await timed('helpers (temporary functions and tables)', () => createHelpers(client, options));
    await timed('plan (entries per listing)', () => createPlan(client, options));
    await timed('app_user', () => insertOwners(client, options, passwordHash));
    await timed('listing', () => insertListings(client));
    await timed('listing_price', () => insertPrices(client));
    for (const statement of deferred) {
      await timed(`recreate ${statement.name}`, () => client.query(statement.sql));
    }
    await timed('sequences', () => resetSequences(client));
    if (options.verify) await timed('verify the price-history invariant', () => verifyInvariant(client, options));
    await timed('commit', () => client.query('COMMIT'));
    // Outside the transaction (VACUUM cannot run in one): fresh statistics for the planner, and a visibility
    // map so that the history reads are really index-only.
    await timed('VACUUM ANALYZE', () => client.query('VACUUM ANALYZE app_user, listing, listing_price, refresh_token'));
    log(`  ${'total'.padEnd(44)} ${(Number(process.hrtime.bigint() - total) / 1e9).toFixed(2).padStart(8)} s`);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
}

function validate(o: GenerateOptions): void {
  const whole = (name: string, value: number, min: number, max: number) => {
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${value}`);
  };
  whole('listings', o.listings, 1, 100_000_000);
  whole('prices', o.prices, o.listings, 2_000_000_000); // every listing has at least its first price
  whole('owners', o.owners, 1, o.listings);
  whole('seed', o.seed, 0, 1_000_000);
  if (Number.isNaN(o.now.getTime())) throw new Error('--now must be an ISO timestamp');
}

async function count(client: Client, table: string): Promise<number> {
  const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0].n);
}

interface DeferredStatement {
  name: string;
  sql: string;
}

/**
 * Maintaining a B-tree and checking a foreign key for each of 10M rows costs more than building the index
 * once and validating the key with one join. Their exact definitions are read from the catalog and replayed,
 * so the schema ends up as the migrations made it, including anything a later migration adds.
 */
async function dropPriceIndexes(client: Client): Promise<DeferredStatement[]> {
  const indexes = await client.query<{ name: string; sql: string }>(`
    SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS sql
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
    WHERE x.indrelid = 'listing_price'::regclass AND NOT x.indisprimary AND NOT x.indisunique
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
    ORDER BY i.relname`);
  const keys = await client.query<{ name: string; def: string }>(`
    SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE conrelid = 'listing_price'::regclass AND contype = 'f' ORDER BY conname`);
  for (const key of keys.rows) await client.query(`ALTER TABLE listing_price DROP CONSTRAINT ${quoteIdent(key.name)}`);
  for (const index of indexes.rows) await client.query(`DROP INDEX ${quoteIdent(index.name)}`);
  return [
    ...indexes.rows.map((index) => ({ name: `index ${index.name}`, sql: index.sql })),
    ...keys.rows.map((key) => ({ name: `foreign key ${key.name}`, sql: `ALTER TABLE listing_price ADD CONSTRAINT ${quoteIdent(key.name)} ${key.def}` })),
  ];
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Temporary (session-only) lookup tables and SQL functions; they vanish with the connection. */
async function createHelpers(client: Client, o: GenerateOptions): Promise<void> {
  // u(key, stream): a uniform float in [0, 1) from 52 bits of a seeded 64-bit hash. Each stream is a separate
  // "random column", so e.g. the surface of listing 7 does not correlate with its rooms. LANGUAGE sql and
  // IMMUTABLE, so the planner inlines it into the INSERTs.
  await client.query(`
    CREATE FUNCTION pg_temp.u(key bigint, stream int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $$ SELECT (hashint8extended(key, ${o.seed}::bigint * 1000 + stream) & 4503599627370495)::float8 / 4503599627370496 $$`);
  // Entry k of n of a listing whose first price is around base: prices drift down ~15% over the listing's
  // life with ±4% noise, rounded to thousands; the parity of the thousands alternates with k, so two
  // consecutive entries never have the same price (an entry is recorded only when the price changes).
  await client.query(`
    CREATE FUNCTION pg_temp.entry_price(listing int, k int, n int, base float8) RETURNS numeric LANGUAGE sql IMMUTABLE AS
    $$ SELECT (2000 * floor(base * (CASE WHEN n = 1 THEN 1 ELSE 1.08 - 0.16 * k / (n - 1) END
                                     + 0.08 * (pg_temp.u((listing::bigint << 20) | k, 20) - 0.5)) / 2000)
               + CASE WHEN n > 1 THEN 1000 * (k % 2) ELSE 0 END)::numeric(12,0) $$`);
  // Entry k of n is stamped between created and created + span, evenly spaced with jitter of under half a
  // step; span >= 2 ms per step keeps the stamps strictly increasing after rounding to milliseconds.
  await client.query(`
    CREATE FUNCTION pg_temp.entry_at(listing int, k int, n int, created timestamptz, span_ms bigint) RETURNS timestamptz LANGUAGE sql IMMUTABLE AS
    $$ SELECT created + (CASE WHEN k = 0 THEN 0
                              WHEN k = n - 1 THEN span_ms
                              ELSE floor((k + 0.5 * pg_temp.u((listing::bigint << 20) | k, 21)) * span_ms / (n - 1)) END) * interval '1 millisecond' $$`);

  await client.query(`CREATE TEMP TABLE bench_country (country char(2) PRIMARY KEY, streets text[], number_first boolean, phone_prefixes text[], phone_digits int)`);
  for (const c of COUNTRIES) {
    await client.query('INSERT INTO bench_country VALUES ($1, $2, $3, $4, $5)', [c.country, c.streets, c.numberFirst, c.phonePrefixes, c.phoneDigits]);
  }
  await client.query(`CREATE TEMP TABLE bench_city (idx int PRIMARY KEY, name text, country char(2), postal_first int, postal_span int, postal_digits int, eur_m2 int)`);
  await client.query(
    `INSERT INTO bench_city SELECT ord::int, c->>'name', c->>'country', (c->>'postalFirst')::int, (c->>'postalSpan')::int, (c->>'postalDigits')::int, (c->>'eurM2')::int
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS t(c, ord)`,
    [JSON.stringify(CITIES)],
  );
  // 1000 slots shared out by weight: picking a city is one array lookup instead of a range join per row.
  const slots: number[] = [];
  const totalWeight = CITIES.reduce((sum, city) => sum + city.weight, 0);
  let cumulative = 0;
  CITIES.forEach((c, i) => {
    cumulative += c.weight;
    const target = Math.round((cumulative / totalWeight) * 1000);
    while (slots.length < target) slots.push(i + 1);
  });
  await client.query(`CREATE FUNCTION pg_temp.city_slots() RETURNS int[] LANGUAGE sql IMMUTABLE AS $$ SELECT '{${slots.join(',')}}'::int[] $$`);
}

/**
 * One row per listing with everything both tables need: the number of history entries, the id of the first
 * one, and the draws that the listing's columns and its entries share (base price, created date, span).
 *
 * Entries: 1 each, then the extra ones: HEAVY_ENTRY_SHARE of them split among a few "heavy" listings
 * (thousands each at 1M/10M), the rest in proportion to a squared exponential draw, so most listings have a
 * handful of entries and the tail is long. The rounding remainder goes one by one to the first listings,
 * so the total is exactly the one requested.
 */
async function createPlan(client: Client, o: GenerateOptions): Promise<void> {
  const extra = o.prices - o.listings;
  const heavyCount = extra === 0 ? 0 : Math.max(1, Math.round(o.listings * HEAVY_LISTING_SHARE));
  const heavyEach = heavyCount === 0 ? 0 : Math.min(Math.floor((extra * HEAVY_ENTRY_SHARE) / heavyCount), MAX_ENTRIES_PER_LISTING - 1);
  const normalExtra = extra - heavyCount * heavyEach;
  const stride = o.listings / Math.max(1, heavyCount);
  const nowMs = o.now.getTime();
  const minAgeMs = 24 * 3600 * 1000; // created at least a day before "now": room for the longest history
  const ageSpanMs = Math.floor(3 * YEAR_MS) - minAgeMs;
  if (o.listings === heavyCount && normalExtra > 0) throw new Error('Too few listings for that many prices');
  if (heavyEach + 1 > MAX_ENTRIES_PER_LISTING || 2 * heavyEach > minAgeMs) throw new Error('Too many prices per listing');

  await client.query(
    `CREATE TEMP TABLE bench_plan AS
     WITH drawn AS (
       SELECT g AS id,
              -- Heavy listings are spread evenly over the id range.
              ($2 > 0 AND g = 1 + floor((floor((g - 1) / $3::float8) + 0.5) * $3::float8)::int) AS heavy,
              power(-ln(1 - pg_temp.u(g, 1)), 2) AS weight
       FROM generate_series(1, $1::int) AS g
     ), weighted AS (
       SELECT id, heavy, CASE WHEN heavy THEN 0 ELSE weight END AS weight,
              sum(CASE WHEN heavy THEN 0 ELSE weight END) OVER () AS total_weight,
              count(*) FILTER (WHERE NOT heavy) OVER (ORDER BY id) AS normal_rank
       FROM drawn
     ), floored AS (
       SELECT id, heavy, normal_rank,
              CASE WHEN heavy THEN $4::bigint ELSE floor($5::float8 * weight / total_weight)::bigint END AS extra
       FROM weighted
     ), counted AS (
       SELECT id, 1 + extra + CASE WHEN NOT heavy AND normal_rank <= $5::bigint - sum(extra) FILTER (WHERE NOT heavy) OVER () THEN 1 ELSE 0 END AS n
       FROM floored
     )
     SELECT id, n::int AS n,
            (sum(n) OVER (ORDER BY id) - n + 1)::bigint AS first_price_id,
            to_timestamp(floor($6::float8 - $7::float8 - pg_temp.u(id, 2) * $8::float8) / 1000)::timestamptz(3) AS created
     FROM counted`,
    [o.listings, heavyCount, stride, heavyEach, normalExtra, nowMs, minAgeMs, ageSpanMs],
  );
  // Column draws, stored once so both INSERTs agree on them.
  await client.query(
    `ALTER TABLE bench_plan
       ADD COLUMN city int, ADD COLUMN building_type building_type, ADD COLUMN rooms int, ADD COLUMN surface float8,
       ADD COLUMN base_price float8, ADD COLUMN span_ms bigint`,
  );
  await client.query(
    `UPDATE bench_plan p SET
       city = (pg_temp.city_slots())[1 + floor(pg_temp.u(id, 3) * 1000)::int],
       building_type = CASE WHEN pg_temp.u(id, 4) < 0.2 THEN 'STUDIO' WHEN pg_temp.u(id, 4) < 0.75 THEN 'APARTMENT' ELSE 'HOUSE' END::building_type,
       -- A listing with one entry was never repriced: its updated_date is its created_date. Otherwise the
       -- history spans at least 2 ms per step, at most until "now".
       span_ms = CASE WHEN n = 1 THEN 0
                      ELSE 2 * (n - 1) + floor(pg_temp.u(id, 5) * ($1::float8 - extract(epoch FROM created) * 1000 - 2 * (n - 1)))::bigint END`,
    [nowMs],
  );
  await client.query(
    `UPDATE bench_plan SET rooms = CASE building_type
       WHEN 'STUDIO' THEN 1
       WHEN 'APARTMENT' THEN 1 + floor(power(pg_temp.u(id, 6), 1.5) * 6)::int
       ELSE 3 + floor(power(pg_temp.u(id, 6), 1.3) * 8)::int END`,
  );
  await client.query(
    `UPDATE bench_plan SET surface = least(400, greatest(12, round(2 * CASE building_type
       WHEN 'STUDIO' THEN 12 + pg_temp.u(id, 7) * 28
       WHEN 'APARTMENT' THEN 12 + rooms * (14 + pg_temp.u(id, 7) * 10)
       ELSE 40 + rooms * (18 + pg_temp.u(id, 7) * 22) END) / 2))`,
  );
  // First price: the city's price per m², a discount for houses, ±20% for everything else; bounded so that
  // every entry stays within 50 000 – 3 000 000 €.
  await client.query(
    `UPDATE bench_plan p SET base_price = least(2550000, greatest(60000,
       c.eur_m2 * p.surface * CASE p.building_type WHEN 'HOUSE' THEN 0.85 WHEN 'STUDIO' THEN 1.1 ELSE 1 END * (0.8 + 0.45 * pg_temp.u(p.id, 8))))
     FROM bench_city c WHERE c.idx = p.city`,
  );
  await client.query('ALTER TABLE bench_plan ADD PRIMARY KEY (id)');
  await client.query('ANALYZE bench_plan');
}

async function insertOwners(client: Client, o: GenerateOptions, passwordHash: string): Promise<void> {
  // Explicit ids (owner N has id N on an emptied table), then the sequence is moved past them.
  await client.query(
    `INSERT INTO app_user (id, email, password_hash, role, active, token_version, created_date)
     SELECT g, 'owner' || g || '@example.test', $2, 'USER', true, 0,
            to_timestamp(floor($3::float8 - (3.2 * 365.25 * 86400000) + pg_temp.u(g, 30) * (0.2 * 365.25 * 86400000)) / 1000)
     FROM generate_series(1, $1::int) AS g`,
    [o.owners, passwordHash, o.now.getTime()],
  );
}

async function insertListings(client: Client): Promise<void> {
  await client.query(
    `INSERT INTO listing (id, name, description, building_type, surface_area_m2, rooms_count, bedrooms_count, contact_phone_number,
                          street_address, postal_code, city, country, latest_price_eur, created_date, updated_date, owner_id,
                          price_entries, first_price_eur, previous_price_eur, min_price_eur, max_price_eur, price_changed_date, price_drop_pct)
     SELECT p.id,
            (ARRAY['Bright','Cosy','Spacious','Renovated','Quiet','Charming','Modern','Sunny','Elegant','Characterful'])[1 + floor(pg_temp.u(p.id, 9) * 10)::int]
              || CASE p.building_type WHEN 'STUDIO' THEN ' studio' WHEN 'APARTMENT' THEN ' ' || p.rooms || '-room apartment' ELSE ' ' || p.rooms || '-room house' END
              || ' in ' || c.name,
            initcap(p.building_type::text) || ' of ' || p.surface || ' m² with ' || p.rooms || CASE WHEN p.rooms = 1 THEN ' room' ELSE ' rooms' END
              || ' (' || b.bedrooms || CASE WHEN b.bedrooms = 1 THEN ' bedroom' ELSE ' bedrooms' END || ') in ' || c.name || ', '
              || (ARRAY['south facing','close to public transport','with a balcony','on the top floor with a lift','with a garden','next to a park',
                        'fully renovated','with a fitted kitchen','with parking space','in a quiet street'])[1 + floor(pg_temp.u(p.id, 10) * 10)::int] || '.',
            p.building_type, p.surface, p.rooms, b.bedrooms,
            -- 90% have a phone: a mobile number of the listing's country, in E.164.
            CASE WHEN pg_temp.u(p.id, 11) < 0.9 THEN
              k.phone_prefixes[1 + floor(pg_temp.u(p.id, 12) * cardinality(k.phone_prefixes))::int]
              || lpad(floor(pg_temp.u(p.id, 13) * power(10, k.phone_digits))::bigint::text, k.phone_digits, '0') END,
            CASE WHEN k.number_first
              THEN s.number || ', ' || s.street
              ELSE s.street || CASE WHEN k.country IN ('ES', 'IT') THEN ', ' ELSE ' ' END || s.number END,
            lpad((c.postal_first + floor(pg_temp.u(p.id, 15) * c.postal_span))::int::text, c.postal_digits, '0'),
            c.name, c.country,
            pg_temp.entry_price(p.id, p.n - 1, p.n, p.base_price),
            p.created,
            p.created + p.span_ms * interval '1 millisecond',
            -- owner_id: owners are drawn uniformly; the row count of app_user is the owner count.
            1 + floor(pg_temp.u(p.id, 16) * o.owners)::int,
            -- The price summary, from the same entries insertPrices writes (as the service keeps it).
            p.n, h.first_price, CASE WHEN p.n > 1 THEN pg_temp.entry_price(p.id, p.n - 2, p.n, p.base_price) END, h.min_price, h.max_price,
            CASE WHEN p.n > 1 THEN p.created + p.span_ms * interval '1 millisecond' END,
            price_drop_pct(h.first_price, pg_temp.entry_price(p.id, p.n - 1, p.n, p.base_price))
     FROM bench_plan p
     JOIN bench_city c ON c.idx = p.city
     JOIN bench_country k ON k.country = c.country
     CROSS JOIN (SELECT count(*)::int AS owners FROM app_user) o
     CROSS JOIN LATERAL (SELECT CASE WHEN p.rooms = 1 THEN 0 ELSE greatest(0, p.rooms - 1 - floor(pg_temp.u(p.id, 17) * 2)::int) END AS bedrooms) b
     CROSS JOIN LATERAL (SELECT 1 + floor(pg_temp.u(p.id, 14) * 180)::int AS number,
                                k.streets[1 + floor(pg_temp.u(p.id, 18) * cardinality(k.streets))::int] AS street) s
     CROSS JOIN LATERAL (SELECT pg_temp.entry_price(p.id, 0, p.n, p.base_price) AS first_price,
                                min(pg_temp.entry_price(p.id, e, p.n, p.base_price)) AS min_price,
                                max(pg_temp.entry_price(p.id, e, p.n, p.base_price)) AS max_price
                         FROM generate_series(0, p.n - 1) AS e) h
     ORDER BY p.id`,
  );
}

async function insertPrices(client: Client): Promise<void> {
  // Entries are written listing by listing, oldest first, with explicit ids: an entry's id order matches its
  // time order within a listing, as it does for entries the service appends.
  await client.query(
    `INSERT INTO listing_price (id, listing_id, price_eur, created_date)
     SELECT p.first_price_id + k, p.id, pg_temp.entry_price(p.id, k, p.n, p.base_price), pg_temp.entry_at(p.id, k, p.n, p.created, p.span_ms)
     FROM bench_plan p CROSS JOIN LATERAL generate_series(0, p.n - 1) AS k`,
  );
}

async function resetSequences(client: Client): Promise<void> {
  for (const table of ['app_user', 'listing', 'listing_price']) {
    await client.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM ${table}), false)`);
  }
}

/** Fails the load (and so rolls it back) if any listing breaks the price-history invariant. */
async function verifyInvariant(client: Client, o: GenerateOptions): Promise<void> {
  const { rows } = await client.query<{ listings: string; prices: string; broken: string; bad_summaries: string; unordered: string; bad_prices: string }>(`
    WITH h AS (
      SELECT listing_id, price_eur, created_date,
             lag(created_date) OVER w AS previous_at,
             row_number() OVER w AS k, count(*) OVER (PARTITION BY listing_id) AS n
      FROM listing_price WINDOW w AS (PARTITION BY listing_id ORDER BY created_date, id)
    ), ends AS (
      SELECT listing_id,
             min(created_date) FILTER (WHERE k = 1) AS first_at,
             max(created_date) FILTER (WHERE k = n) AS last_at,
             max(price_eur) FILTER (WHERE k = n) AS last_price,
             count(*) FILTER (WHERE previous_at >= created_date) AS unordered,
             count(*)::int AS entries,
             max(price_eur) FILTER (WHERE k = 1) AS first_price,
             max(price_eur) FILTER (WHERE k = n - 1) AS previous_price,
             min(price_eur) AS min_price, max(price_eur) AS max_price
      FROM h GROUP BY listing_id
    )
    SELECT (SELECT count(*) FROM listing) AS listings, (SELECT count(*) FROM listing_price) AS prices,
           count(*) FILTER (WHERE e.listing_id IS NULL OR e.first_at <> l.created_date OR e.last_at <> l.updated_date OR e.last_price <> l.latest_price_eur) AS broken,
           count(*) FILTER (WHERE (l.price_entries, l.first_price_eur, l.min_price_eur, l.max_price_eur, l.price_drop_pct)
                                    IS DISTINCT FROM (e.entries, e.first_price, e.min_price, e.max_price, price_drop_pct(e.first_price, e.last_price))
                                  OR l.previous_price_eur IS DISTINCT FROM e.previous_price
                                  OR l.price_changed_date IS DISTINCT FROM CASE WHEN e.entries > 1 THEN e.last_at END) AS bad_summaries,
           coalesce(sum(e.unordered), 0) AS unordered,
           (SELECT count(*) FROM listing_price WHERE price_eur NOT BETWEEN 50000 AND 3000000) AS bad_prices
    FROM listing l LEFT JOIN ends e ON e.listing_id = l.id`);
  const r = rows[0];
  const problems = [
    Number(r.listings) !== o.listings && `${r.listings} listings instead of ${o.listings}`,
    Number(r.prices) !== o.prices && `${r.prices} prices instead of ${o.prices}`,
    Number(r.broken) > 0 && `${r.broken} listings whose history does not start at created_date or end at (updated_date, latest_price_eur)`,
    Number(r.bad_summaries) > 0 && `${r.bad_summaries} listings whose price summary columns are not what their history gives`,
    Number(r.unordered) > 0 && `${r.unordered} entries not strictly after the previous one`,
    Number(r.bad_prices) > 0 && `${r.bad_prices} prices outside 50 000 – 3 000 000`,
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`Generated data breaks the invariant: ${problems.join('; ')}`);
}

function optionsFromArgs(argv: string[]): GenerateOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      listings: { type: 'string', default: '1000' },
      prices: { type: 'string', default: '10000' },
      owners: { type: 'string' },
      seed: { type: 'string', default: '1' },
      now: { type: 'string' },
      truncate: { type: 'boolean', default: false },
      verify: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL must be set to the database to fill (it is never guessed)');
  const listings = Number(values.listings);
  return {
    databaseUrl,
    listings,
    prices: Number(values.prices),
    owners: values.owners === undefined ? defaultOwners(listings) : Number(values.owners),
    seed: Number(values.seed),
    truncate: values.truncate,
    verify: values.verify,
    // Default: the start of today (UTC), so that runs on the same day give identical rows.
    now: values.now === undefined ? new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00.000Z') : new Date(values.now),
  };
}

if (require.main === module) {
  generateData(optionsFromArgs(process.argv.slice(2))).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
