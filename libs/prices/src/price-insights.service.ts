import { Injectable, NotFoundException } from '@nestjs/common';
import { type QueryInstantValue, type Version } from '@app/common';
import { type ReadSource, SqlService, type Statement } from '@app/database';
import { CHART_SIZE, PriceChartQuery } from './dto/price-chart.query';
import { PriceEntryView } from './dto/price-entry.view';
import { PriceSummaryView } from './dto/price-summary.view';
import { type PriceEntryRow, toPriceEntryView } from './price-entry.mapper';
import { type PriceChartColumn, layoutPriceChart, renderPriceChart } from './price-chart';

/** The price summary columns of a listing row (see schema.prisma); NUMERIC as exact decimal strings. */
interface SummaryRow {
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

interface ColumnRow {
  px: number;
  first_price: string;
  min_price: string;
  max_price: string;
  last_price: string;
}

/**
 * The summary is one primary-key read of the aggregates the listing's writes keep next to its price
 * (constant cost). Percentages come from the database's price_change_pct, exact NUMERIC rounded half away
 * from zero to 2 decimals: the formula the stored price_drop_pct that search uses is made of.
 */
export const PRICE_SUMMARY: Statement = {
  name: 'price_summary',
  text: `SELECT price_entries, first_price_eur, created_date, latest_price_eur, coalesce(price_changed_date, created_date) AS latest_date,
           previous_price_eur, min_price_eur, max_price_eur, price_changed_date,
           price_change_pct(first_price_eur, latest_price_eur) AS change_since_first_pct,
           price_change_pct(previous_price_eur, latest_price_eur) AS change_since_previous_pct
         FROM listing WHERE id = $1`,
};

/** The entry in force at an instant: one backward probe of listing_price_history_idx. Ties: the last written. */
export const PRICE_AT: Statement = {
  name: 'price_at',
  text: `SELECT price_eur, created_date FROM listing_price WHERE listing_id = $1 AND created_date <= $2
         ORDER BY created_date DESC, id DESC LIMIT 1`,
};

/** Only when PRICE_AT found nothing: was it too early, or is there no such listing? */
export const FIRST_PRICE: Statement = {
  name: 'price_first',
  text: 'SELECT price_eur, created_date FROM listing_price WHERE listing_id = $1 ORDER BY created_date, id LIMIT 1',
};

/**
 * The whole history reduced to one row per pixel column of the chart ($4 columns spanning $3 ms from
 * $2): each column's first, lowest, highest and last price. One index-only scan of the history; what
 * leaves the database is bounded by the chart's width, however long the history is.
 */
export const PRICE_CHART_COLUMNS: Statement = {
  name: 'price_chart_columns',
  text: `SELECT least($4::int - 1, floor(extract(epoch FROM created_date - $2::timestamptz) * 1000 * $4::int / $3::float8))::int AS px,
           (array_agg(price_eur ORDER BY created_date, id))[1] AS first_price,
           min(price_eur) AS min_price, max(price_eur) AS max_price,
           (array_agg(price_eur ORDER BY created_date DESC, id DESC))[1] AS last_price
         FROM listing_price WHERE listing_id = $1
         GROUP BY 1 ORDER BY 1`,
};

const DAY_MS = 24 * 3600 * 1000;
const MINUTE_MS = 60_000;

/** A chart whose version is known before it is drawn: a revalidation costs the summary row only. */
export interface PriceChart {
  /** What the drawing is a function of. */
  version: Version;
  render(): Promise<string>;
}

/** The summary of a price history; the route adds the URL of its chart. */
export type PriceSummary = Omit<PriceSummaryView, 'chart_url'>;

/** Price insights that read the summary aggregates or probe the history: summary, price at a date, chart. */
@Injectable()
export class PriceInsightsService {
  constructor(private readonly sql: SqlService) {}

  async summary(listingId: number, from: ReadSource, now = new Date()): Promise<PriceSummary> {
    return toSummaryView(listingId, await this.summaryRow(listingId, from), now);
  }

  /** The entry in force at `instant`: the newest one created at or before it. */
  async priceAt(listingId: number, instant: QueryInstantValue, from: ReadSource): Promise<PriceEntryView> {
    const [entry] = await this.sql.read<PriceEntryRow>(from, PRICE_AT, [listingId, instant.atOrBefore]);
    if (entry) return toPriceEntryView(entry);
    const [first] = await this.sql.read<PriceEntryRow>(from, FIRST_PRICE, [listingId]);
    if (!first) throw new NotFoundException(`Listing ${listingId} not found`);
    throw new NotFoundException(
      `Listing ${listingId} had no price yet at ${instant.atOrBefore.toISOString()}: its first price dates from ${first.created_date.toISOString()}`,
    );
  }

  /**
   * The SVG step chart of the whole history, from the creation to now. "Now" is the current minute (the
   * axis ends at its start, or at the latest price if that is later), so the drawing is a function of the
   * summary row, the size and the minute: its version is made of those alone, known before reading the
   * history, and changes at most once a minute while the history does not.
   */
  async chart(listingId: number, query: PriceChartQuery, from: ReadSource, now = new Date()): Promise<PriceChart> {
    const row = await this.summaryRow(listingId, from);
    const width = query.width ?? CHART_SIZE.width.default;
    const height = query.height ?? CHART_SIZE.height.default;
    const end = new Date(Math.max(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS, row.latest_date.getTime()));
    const version = [listingId, row.price_entries, row.created_date.toISOString(), row.latest_date.toISOString(), row.latest_price_eur, row.min_price_eur, row.max_price_eur, width, height, end.toISOString()];
    return { version, render: () => this.drawChart(listingId, row, width, height, end, from) };
  }

  private async drawChart(listingId: number, row: SummaryRow, width: number, height: number, end: Date, from: ReadSource): Promise<string> {
    const layout = layoutPriceChart({
      listingId,
      width,
      height,
      entries: row.price_entries,
      start: row.created_date,
      end,
      minPriceEur: Number(row.min_price_eur),
      maxPriceEur: Number(row.max_price_eur),
      latestPriceEur: Number(row.latest_price_eur),
    });
    const rows = await this.sql.read<ColumnRow>(from, PRICE_CHART_COLUMNS, [
      listingId,
      new Date(layout.startMs),
      layout.endMs - layout.startMs,
      Math.max(1, Math.floor(layout.plot.width)),
    ]);
    const columns: PriceChartColumn[] = rows.map((r) => ({
      px: r.px,
      first: Number(r.first_price),
      min: Number(r.min_price),
      max: Number(r.max_price),
      last: Number(r.last_price),
    }));
    return renderPriceChart(layout, columns);
  }

  private async summaryRow(listingId: number, from: ReadSource): Promise<SummaryRow> {
    const [row] = await this.sql.read<SummaryRow>(from, PRICE_SUMMARY, [listingId]);
    if (!row) throw new NotFoundException(`Listing ${listingId} not found`);
    return row;
  }
}

/** Key order is part of the wire format (the benchmark's baseline repeats it byte for byte). */
export function toSummaryView(listingId: number, row: SummaryRow, now: Date): PriceSummary {
  // Whole euros up to 10^12: exact as JS numbers, and so is their difference.
  const first = Number(row.first_price_eur);
  const latest = Number(row.latest_price_eur);
  return {
    listing_id: listingId,
    entries: row.price_entries,
    first: { price_eur: first, created_date: row.created_date.toISOString() },
    latest: { price_eur: latest, created_date: row.latest_date.toISOString() },
    ...(row.previous_price_eur === null ? {} : { previous_price_eur: Number(row.previous_price_eur) }),
    min_price_eur: Number(row.min_price_eur),
    max_price_eur: Number(row.max_price_eur),
    change_since_first_eur: latest - first,
    ...(row.change_since_first_pct === null ? {} : { change_since_first_pct: Number(row.change_since_first_pct) }),
    ...(row.change_since_previous_pct === null ? {} : { change_since_previous_pct: Number(row.change_since_previous_pct) }),
    ...(row.price_changed_date === null ? {} : { last_changed_date: row.price_changed_date.toISOString() }),
    days_at_current_price: Math.max(0, Math.floor((now.getTime() - row.latest_date.getTime()) / DAY_MS)),
  };
}
