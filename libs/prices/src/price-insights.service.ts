import { Injectable, NotFoundException } from '@nestjs/common';
import { type QueryInstantValue, type Version } from '@app/common';
import { type ReadSource, SqlService, isoOf } from '@app/database';
import { CHART_SIZE, PriceChartQuery } from './dto/price-chart.query';
import { PriceEntryView } from './dto/price-entry.view';
import { PriceSummaryView } from './dto/price-summary.view';
import { type PriceEntryRow, toPriceEntryView } from './price-entry.mapper';
import { type ChartColumnRow, chartColumns, firstPrice, priceAt } from './listing-price.statements';
import { type PriceSummaryRow, priceSummary } from './price-summary.sql';
import { type PriceChartColumn, layoutPriceChart, renderPriceChart } from './price-chart';



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
    const [entry] = await this.sql.read<PriceEntryRow>(from, priceAt(listingId, instant.atOrBefore));
    if (entry) return toPriceEntryView(entry);
    const [first] = await this.sql.read<PriceEntryRow>(from, firstPrice(listingId));
    if (!first) throw new NotFoundException(`Listing ${listingId} not found`);
    throw new NotFoundException(
      `Listing ${listingId} had no price yet at ${instant.atOrBefore.toISOString()}: its first price dates from ${isoOf(first.created_date)}`,
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

  private async drawChart(listingId: number, row: PriceSummaryRow, width: number, height: number, end: Date, from: ReadSource): Promise<string> {
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
    const rows = await this.sql.read<ChartColumnRow>(
      from,
      chartColumns(listingId, new Date(layout.startMs), layout.endMs - layout.startMs, Math.max(1, Math.floor(layout.plot.width))),
    );
    const columns: PriceChartColumn[] = rows.map((r) => ({
      px: r.px,
      first: Number(r.first_price),
      min: Number(r.min_price),
      max: Number(r.max_price),
      last: Number(r.last_price),
    }));
    return renderPriceChart(layout, columns);
  }

  private async summaryRow(listingId: number, from: ReadSource): Promise<PriceSummaryRow> {
    const [row] = await this.sql.read<PriceSummaryRow>(from, priceSummary(listingId));
    if (!row) throw new NotFoundException(`Listing ${listingId} not found`);
    return row;
  }
}

/** Key order is part of the wire format (the benchmark's baseline repeats it byte for byte). */
export function toSummaryView(listingId: number, row: PriceSummaryRow, now: Date): PriceSummary {
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
