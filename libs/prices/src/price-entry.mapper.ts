import { isoOf } from '@app/database';
import { PriceEntryView } from './dto/price-entry.view';

/**
 * An entry of the history as node-postgres returns it: NUMERIC as an exact decimal string, timestamptz as a Date,
 * or as its RFC 3339 string already for the history pages (withWireTimestamps).
 */
export interface PriceEntryRow {
  price_eur: string;
  created_date: Date | string;
}

export function toPriceEntryView(row: PriceEntryRow): PriceEntryView {
  // Whole euros up to 10^12: exact as a JS number.
  return { price_eur: Number(row.price_eur), created_date: isoOf(row.created_date) };
}
