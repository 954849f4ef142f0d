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
export function priceSummaryOfFirstPrice(price: string): string {
  return `1, ${price}, ${price}, ${price}, price_drop_pct(${price}, ${price})`;
}

/**
 * The SET clause that moves the summary on when a write sets the price to `price` at `at` (SQL
 * expressions). Every expression reads the row as it was before the UPDATE, which the writer holds
 * locked: `latest_price_eur <> price` is the same decision the writer takes to append a history entry,
 * so the summary counts exactly the entries appended. An unchanged price leaves every column as it was.
 */
export function priceSummaryAfterWrite(price: string, at: string): string {
  const changed = `latest_price_eur <> ${price}`;
  return `price_entries = CASE WHEN ${changed} THEN price_entries + 1 ELSE price_entries END,
           previous_price_eur = CASE WHEN ${changed} THEN latest_price_eur ELSE previous_price_eur END,
           price_changed_date = CASE WHEN ${changed} THEN ${at} ELSE price_changed_date END,
           min_price_eur = least(min_price_eur, ${price}), max_price_eur = greatest(max_price_eur, ${price}),
           price_drop_pct = price_drop_pct(first_price_eur, ${price})`;
}
