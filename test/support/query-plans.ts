import type pg from 'pg';

/**
 * Helpers of test/query-plans.e2e-spec.ts: a large table built with set-based SQL, and the rule every
 * plan of a paginated read must follow.
 */

export const BULK_LISTINGS = 50_000;
export const BULK_PRICES_PER_LISTING = 4;

/** A page may sort at most this many rows (2 % of the bulk table): a Top-N over a selective index filter. */
export const MAX_SORTED_ROWS = 1_000;
/** A page may discard at most this many rows (20 % of the bulk table) through a filter while looking for its rows. */
export const MAX_FILTERED_ROWS = 10_000;

/**
 * 50 000 listings owned by one new (inactive) account, and four history entries each. Values are drawn
 * independently (seeded, so every run builds the same table): a filter on one column tells the planner
 * nothing about another, as in real data. About 10 % are in Paris, the other cities hold 0.5 % each;
 * FR 60 %, DE 25 %, ES 10 %, IT 4 %, LU 1 %; postal codes hold about ten listings each. Each history
 * moves by a steady step of -5 % to +15 % of the latest price per entry (so drops since the first price
 * spread from about -18 % to +31 %), one entry a day from the creation. The price summary columns are
 * written with the listing, from the same formula (an UPDATE afterwards would leave a dead version of
 * every row behind, which the planner would see); test/query-plans.e2e-spec.ts checks them against the
 * history.
 */
/** A listing's price step per history entry, -5 % to +15 %, drawn from its name (known to both INSERTs). */
const BULK_STEP_SQL = '((abs(hashtext(NAME)) % 200) - 50) / 1000.0';

export async function insertBulkListings(client: pg.Client, email: string): Promise<number> {
  const owner = await client.query<{ id: number }>(`INSERT INTO app_user (email, password_hash, active) VALUES ($1, '!no-login', false) RETURNING id`, [email]);
  const ownerId = owner.rows[0].id;
  await client.query('SELECT setseed(0.42)');
  await client.query(
    `INSERT INTO listing (name, description, building_type, surface_area_m2, rooms_count, bedrooms_count, contact_phone_number,
       street_address, postal_code, city, country, latest_price_eur, created_date, updated_date, owner_id,
       price_entries, first_price_eur, previous_price_eur, min_price_eur, max_price_eur, price_changed_date, price_drop_pct)
     SELECT 'Bulk listing ' || g, 'Generated to check query plans.',
       (CASE WHEN r_type < 0.2 THEN 'STUDIO' WHEN r_type < 0.7 THEN 'APARTMENT' ELSE 'HOUSE' END)::building_type,
       round((15 + r_surface * 285)::numeric, 1)::float8, 1 + floor(r_rooms * 8)::int, floor(r_rooms * 8)::int, NULL,
       g || ' rue des Plans', lpad(floor(r_postal * 5000)::text, 5, '0'),
       CASE WHEN r_city < 0.1 THEN 'Paris' ELSE 'Town ' || floor((r_city - 0.1) / 0.9 * 180) END,
       CASE WHEN r_country < 0.60 THEN 'FR' WHEN r_country < 0.85 THEN 'DE' WHEN r_country < 0.95 THEN 'ES' WHEN r_country < 0.99 THEN 'IT' ELSE 'LU' END,
       m.latest, m.created, m.created + interval '${BULK_PRICES_PER_LISTING - 1} days', $1,
       ${BULK_PRICES_PER_LISTING}, h.first, h.previous, least(h.first, h.previous, h.second, m.latest), greatest(h.first, h.previous, h.second, m.latest),
       m.created + interval '${BULK_PRICES_PER_LISTING - 1} days', price_drop_pct(h.first, m.latest)
     FROM (
       SELECT g, random() AS r_type, random() AS r_surface, random() AS r_rooms, random() AS r_postal, random() AS r_city,
         random() AS r_country, random() AS r_price, random() AS r_created
       FROM generate_series(1, ${BULK_LISTINGS}) AS g
     ) AS drawn
     CROSS JOIN LATERAL (
       SELECT (50000 + floor(r_price * 1950) * 1000)::numeric AS latest, ${BULK_STEP_SQL.replace('NAME', `'Bulk listing ' || g`)} AS step,
         timestamptz '2024-01-01T00:00:00Z' + g * interval '30 minutes' + floor(r_created * 600) * interval '1 minute' AS created
     ) AS m
     CROSS JOIN LATERAL (
       SELECT round(m.latest * (1 + 3 * m.step) / 1000) * 1000 AS first, round(m.latest * (1 + 2 * m.step) / 1000) * 1000 AS second,
         round(m.latest * (1 + m.step) / 1000) * 1000 AS previous
     ) AS h`,
    [ownerId],
  );
  // The newest entry of each history is the listing's price, as the service keeps it.
  await client.query(
    `INSERT INTO listing_price (listing_id, price_eur, created_date)
     SELECT l.id, round(l.latest_price_eur * (1 + (${BULK_PRICES_PER_LISTING} - k) * ${BULK_STEP_SQL.replace('NAME', 'l.name')}) / 1000) * 1000,
       l.created_date + (k - 1) * interval '1 day'
     FROM listing l CROSS JOIN generate_series(1, ${BULK_PRICES_PER_LISTING}) AS k
     WHERE l.owner_id = $1`,
    [ownerId],
  );
  return ownerId;
}

/**
 * The plan PostgreSQL uses for a named prepared statement once it settles on a generic plan (planned
 * without the parameter values): node-postgres statements with a `name` may get one after five runs.
 */
export async function explainGeneric(client: pg.Client, statement: Statement): Promise<PlanNode> {
  await client.query('SAVEPOINT generic_plan');
  try {
    await client.query(`PREPARE plan_check AS ${statement.text}`);
    await client.query('SET LOCAL plan_cache_mode = force_generic_plan');
    // The statement's values are strings and numbers (see listing-search.ts): quoted literals of unknown type, cast by the statement.
    const literals = statement.values.map((value) => (typeof value === 'number' ? String(value) : `'${String(value as string).replace(/'/g, "''")}'`));
    const result = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(
      `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE plan_check${literals.length > 0 ? `(${literals.join(', ')})` : ''}`,
    );
    return result.rows[0]['QUERY PLAN'][0].Plan;
  } finally {
    await client.query('ROLLBACK TO SAVEPOINT generic_plan');
    await client.query('DEALLOCATE ALL');
  }
}

/** One node of `EXPLAIN (ANALYZE, FORMAT JSON)`, with the fields the rule reads. */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

export interface Statement {
  text: string;
  values: unknown[];
}

export async function explain(client: pg.Client, statement: Statement): Promise<PlanNode> {
  const result = await client.query<{ 'QUERY PLAN': { Plan: PlanNode }[] }>(`EXPLAIN (ANALYZE, FORMAT JSON) ${statement.text}`, statement.values);
  return result.rows[0]['QUERY PLAN'][0].Plan;
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/** "Index Scan using listing_by_price_idx on listing > Limit"-style one-liner, for failure messages. */
export function describePlan(plan: PlanNode, depth = 0): string {
  const on = plan['Relation Name'] ? ` on ${plan['Relation Name']}` : '';
  const using = plan['Index Name'] ? ` using ${plan['Index Name']}` : '';
  const line = `${'  '.repeat(depth)}${plan['Node Type']}${using}${on} (rows=${plan['Actual Rows']}, removed=${plan['Rows Removed by Filter'] ?? 0})`;
  return [line, ...(plan.Plans ?? []).map((child) => describePlan(child, depth + 1))].join('\n');
}

/**
 * The rule for a paginated read, whatever its filters and sort:
 * 1. it is bounded: the plan's root is a Limit;
 * 2. no Seq Scan, of listing or listing_price: every row comes out of an index (a plain, index-only or
 *    bitmap scan: with a selective filter the planner may rightly prefer a bitmap scan);
 * 3. a Sort is allowed only above a bounded input: every scan beneath it has an index condition (the
 *    filter selects the rows, not a walk of a whole index) and at most MAX_SORTED_ROWS rows reach it.
 *    That is the Top-N over the few listings of one postal code or one small city; a Sort over the
 *    whole table, or over a large part of it, fails;
 * 4. no node throws away more than MAX_FILTERED_ROWS rows: walking an index in sort order while
 *    filtering is fine as long as matching rows come soon, not when a page reads most of the table.
 * Returns the broken rules (empty when the plan is fine).
 */
export function planViolations(plan: PlanNode): string[] {
  const problems: string[] = [];
  if (plan['Node Type'] !== 'Limit') problems.push(`the root is a ${plan['Node Type']}, not a Limit`);
  for (const node of nodes(plan)) {
    if (node['Node Type'] === 'Seq Scan') problems.push(`Seq Scan on ${node['Relation Name']}`);
    if ((node['Rows Removed by Filter'] ?? 0) * node['Actual Loops'] > MAX_FILTERED_ROWS) {
      problems.push(`${node['Node Type']} discards ${node['Rows Removed by Filter']} rows`);
    }
    if (node['Node Type'] === 'Sort' || node['Node Type'] === 'Incremental Sort') {
      const input = node.Plans?.[0];
      const sorted = input ? input['Actual Rows'] * input['Actual Loops'] : 0;
      if (sorted > MAX_SORTED_ROWS) problems.push(`${node['Node Type']} over ${sorted} rows`);
      const unbounded = (input ? nodes(input) : []).filter((n) => /Scan/.test(n['Node Type']) && n['Node Type'] !== 'Bitmap Heap Scan' && !n['Index Cond']);
      for (const scan of unbounded) problems.push(`${node['Node Type']} above a ${scan['Node Type']} without an index condition`);
    }
  }
  return problems;
}
