import { type SqlQuery, prepared, sql } from '@app/database';

/**
 * The price summary columns of a listing row (price_entries, first/previous/min/max price,
 * price_changed_date, price_drop_pct; see schema.prisma) belong to this module: their SQL is written
 * here and only here, and the formula is the database's price_drop_pct / price_change_pct (migration
 * 20261203020000). The listing writes of libs/listings compose these fragments into their own INSERT and
 * UPDATE, so that a write stays one statement and one row version, in the transaction that appends the
 * history entry (PriceHistoryService.recordPrice).
 */

/** The summary columns an INSERT sets, in the order of priceSummaryOfFirstPrice's values. */
export const PRICE_SUMMARY_INSERT_COLUMNS = 'price_entries, first_price_eur, min_price_eur, max_price_eur, price_drop_pct';

/** A one-entry history: the initial price `price` (a SQL expression) is the first, lowest and highest. */
export function priceSummaryOfFirstPrice(price: SqlQuery): SqlQuery {
  return sql`1, ${price}, ${price}, ${price}, price_drop_pct(${price}, ${price})`;
}

/**
 * The SET clause that moves the summary on when a write sets the price to `price` at `at` (SQL
 * expressions). Every expression reads the row as it was before the UPDATE, which the writer holds
 * locked: `latest_price_eur <> price` is the same decision the writer takes to append a history entry,
 * so the summary counts exactly the entries appended. An unchanged price leaves every column as it was.
 */
export function priceSummaryAfterWrite(price: SqlQuery, at: SqlQuery): SqlQuery {
  const changed = sql`latest_price_eur <> ${price}`;
  return sql`price_entries = CASE WHEN ${changed} THEN price_entries + 1 ELSE price_entries END,
           previous_price_eur = CASE WHEN ${changed} THEN latest_price_eur ELSE previous_price_eur END,
           price_changed_date = CASE WHEN ${changed} THEN ${at} ELSE price_changed_date END,
           min_price_eur = least(min_price_eur, ${price}), max_price_eur = greatest(max_price_eur, ${price}),
           price_drop_pct = price_drop_pct(first_price_eur, ${price})`;
}

/** The price summary columns of a listing row as priceSummary reads them; NUMERIC as exact decimal strings. */
export interface PriceSummaryRow {
  price_entries: number;
  first_price_eur: string;
  created_date: Date;
  latest_price_eur: string;
  latest_date: Date;
  previous_price_eur: string | null;
  min_price_eur: string;
  max_price_eur: string;
  price_changed_date: Date | null;
  change_since_first_pct: string | null;
  change_since_previous_pct: string | null;
}

/**
 * The summary is one primary-key read of the aggregates the listing's writes keep next to its price
 * (constant cost). Percentages come from the database's price_change_pct, exact NUMERIC rounded half away
 * from zero to 2 decimals: the formula the stored price_drop_pct that search uses is made of.
 */
export const priceSummary = (listingId: number): SqlQuery =>
  prepared('price_summary')`SELECT price_entries, first_price_eur, created_date, latest_price_eur, coalesce(price_changed_date, created_date) AS latest_date,
      previous_price_eur, min_price_eur, max_price_eur, price_changed_date,
      price_change_pct(first_price_eur, latest_price_eur) AS change_since_first_pct,
      price_change_pct(previous_price_eur, latest_price_eur) AS change_since_previous_pct
    FROM listing WHERE id = ${listingId}`;
