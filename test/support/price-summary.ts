import type pg from 'pg';

/**
 * The price summary as the full history gives it, one row per listing: what the aggregates stored on
 * the listing row (see schema.prisma and libs/prices/src/price-summary.sql.ts) must always equal. Written
 * independently of the service's statements on purpose (window functions over the whole history), so
 * the comparison checks the incremental maintenance against a from-scratch computation.
 */
export const SUMMARY_FROM_HISTORY = `
  SELECT listing_id,
         count(*)::int AS price_entries,
         max(price_eur) FILTER (WHERE k = 1) AS first_price_eur,
         min(created_date) FILTER (WHERE k = 1) AS first_date,
         max(price_eur) FILTER (WHERE k = n) AS latest_price_eur,
         max(created_date) FILTER (WHERE k = n) AS latest_date,
         max(price_eur) FILTER (WHERE k = n - 1) AS previous_price_eur,
         max(created_date) FILTER (WHERE k = n AND n > 1) AS price_changed_date,
         min(price_eur) AS min_price_eur,
         max(price_eur) AS max_price_eur
  FROM (
    SELECT listing_id, price_eur, created_date,
           row_number() OVER (PARTITION BY listing_id ORDER BY created_date, id) AS k,
           count(*) OVER (PARTITION BY listing_id) AS n
    FROM listing_price
  ) AS numbered
  GROUP BY listing_id`;

/** The drop in percent as search stores it, from the history's first and latest prices. */
const DROP_FROM_HISTORY = `CASE WHEN h.first_price_eur = 0 THEN '-Infinity'::float8
  ELSE round((h.first_price_eur - h.latest_price_eur) * 100 / h.first_price_eur, 2)::float8 END`;

export interface SummaryMismatch {
  id: number;
  stored: Record<string, unknown>;
  history: Record<string, unknown>;
}

/**
 * Every listing (of `ownerIds`, or all) whose stored summary differs from its history's, with both
 * versions. Empty when the invariant holds. One statement: one snapshot of both tables.
 */
export async function summaryMismatches(client: pg.ClientBase | pg.Pool, ownerIds?: number[]): Promise<SummaryMismatch[]> {
  const { rows } = await client.query<SummaryMismatch>(
    `SELECT l.id,
            json_build_object('entries', l.price_entries, 'first', l.first_price_eur, 'first_date', l.created_date, 'latest', l.latest_price_eur,
              'latest_date', coalesce(l.price_changed_date, l.created_date), 'previous', l.previous_price_eur, 'changed', l.price_changed_date,
              'min', l.min_price_eur, 'max', l.max_price_eur, 'drop', l.price_drop_pct::text) AS stored,
            json_build_object('entries', h.price_entries, 'first', h.first_price_eur, 'first_date', h.first_date, 'latest', h.latest_price_eur,
              'latest_date', h.latest_date, 'previous', h.previous_price_eur, 'changed', h.price_changed_date,
              'min', h.min_price_eur, 'max', h.max_price_eur, 'drop', (${DROP_FROM_HISTORY})::text) AS history
     FROM listing l LEFT JOIN (${SUMMARY_FROM_HISTORY}) h ON h.listing_id = l.id
     WHERE ($1::int[] IS NULL OR l.owner_id = ANY($1::int[]))
       AND (h.listing_id IS NULL
         OR (l.price_entries, l.first_price_eur, l.created_date, l.latest_price_eur, coalesce(l.price_changed_date, l.created_date), l.min_price_eur, l.max_price_eur, l.price_drop_pct)
            IS DISTINCT FROM (h.price_entries, h.first_price_eur, h.first_date, h.latest_price_eur, h.latest_date, h.min_price_eur, h.max_price_eur, ${DROP_FROM_HISTORY})
         OR l.previous_price_eur IS DISTINCT FROM h.previous_price_eur
         OR l.price_changed_date IS DISTINCT FROM h.price_changed_date)
     ORDER BY l.id`,
    [ownerIds ?? null],
  );
  return rows;
}
