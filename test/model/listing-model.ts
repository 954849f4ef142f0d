import { isDeepStrictEqual } from 'node:util';
import type { Listing, PriceEntry } from '../support/listings';

/**
 * The small in-memory model the stateful test holds the API to: accounts (registered, signed in,
 * active, admin), listings (owner, every field, the full price history) and what the price insights
 * and search must then answer. Pure: no I/O here.
 */
export type ListingBody = Record<string, unknown> & {
  latest_price_eur: number;
  building_type: string;
  rooms_count: number;
  surface_area_m2: number;
  postal_address: { street_address: string; postal_code: string; city: string; country: string };
};

export interface ModelUser {
  email: string;
  password: string;
  id?: number;
  active: boolean;
  /** An access token the API should accept (signed in, not deactivated since). */
  token?: string;
  /** A token issued before a deactivation: the API must now refuse it. */
  staleToken?: string;
}

export interface ModelListing {
  id: number;
  ownerId: number;
  body: ListingBody;
  createdDate: string;
  updatedDate: string;
  history: PriceEntry[];
  deleted: boolean;
}

export class Model {
  readonly users: ModelUser[];
  readonly listings: ModelListing[] = [];

  constructor(
    /** The city every listing of this sequence is in: searches by it see this sequence's listings only. */
    readonly city: string,
    emailPrefix: string,
    readonly admin: { id: number; token: string },
  ) {
    this.users = [0, 1, 2].map((n) => ({ email: `${emailPrefix}-${n}@model.example`, password: `model password ${n}`, active: true }));
  }

  live(): ModelListing[] {
    return this.listings.filter((l) => !l.deleted);
  }

  /** Whether the caller (a user slot, or the admin) may change this listing. */
  mayChange(caller: number | 'admin', listing: ModelListing): boolean {
    return caller === 'admin' || this.users[caller].id === listing.ownerId;
  }
}

/** The listing as GET /listings/{id} must show it. */
export function viewOf(listing: ModelListing): Listing {
  const { contact_phone_number: phone, ...rest } = listing.body;
  return {
    ...(rest as unknown as Listing),
    id: listing.id,
    created_date: listing.createdDate,
    updated_date: listing.updatedDate,
    ...(phone === undefined ? {} : { contact_phone_number: phone as string }),
  };
}

/** round(numerator * 100 / denominator, 2), half away from zero, exactly (PostgreSQL NUMERIC), as a JS number. */
export function percent(numerator: number, denominator: number): number {
  const hundredths = BigInt(numerator) * 10_000n;
  const d = BigInt(denominator);
  let q = hundredths / d;
  const r = hundredths % d;
  const abs = (n: bigint) => (n < 0n ? -n : n);
  if (2n * abs(r) >= abs(d)) q += (hundredths < 0n) !== (d < 0n) ? -1n : 1n;
  return Number(q) / 100;
}

/** The listing's drop since its first price, in % (search's `min_drop_pct` and `sort=drop`); -Infinity from a first price of 0. */
export function dropOf(listing: ModelListing): number {
  const first = listing.history[0].price_eur;
  const latest = listing.body.latest_price_eur;
  return first === 0 ? Number.NEGATIVE_INFINITY : percent(first - latest, first);
}

/** When the price last changed; undefined while it never did. */
export function lastChangeOf(listing: ModelListing): string | undefined {
  return listing.history.length > 1 ? listing.history[listing.history.length - 1].created_date : undefined;
}

export function summaryOf(listing: ModelListing): Record<string, unknown> {
  const prices = listing.history.map((e) => e.price_eur);
  const first = listing.history[0];
  const latest = listing.history[listing.history.length - 1];
  const previous = listing.history.length > 1 ? listing.history[listing.history.length - 2].price_eur : undefined;
  const summary: Record<string, unknown> = {
    listing_id: listing.id,
    entries: listing.history.length,
    first,
    latest,
    min_price_eur: Math.min(...prices),
    max_price_eur: Math.max(...prices),
    change_since_first_eur: latest.price_eur - first.price_eur,
    days_at_current_price: 0,
    chart_url: `/listings/${listing.id}/prices/chart.svg`,
  };
  if (previous !== undefined) summary.previous_price_eur = previous;
  if (first.price_eur !== 0) summary.change_since_first_pct = percent(latest.price_eur - first.price_eur, first.price_eur);
  if (previous !== undefined && previous !== 0) summary.change_since_previous_pct = percent(latest.price_eur - previous, previous);
  if (listing.history.length > 1) summary.last_changed_date = latest.created_date;
  return summary;
}

/** The entry in force at `at` (the newest created at or before it; ties: the last written), if any. */
export function priceAt(listing: ModelListing, at: string): PriceEntry | undefined {
  return listing.history.filter((e) => e.created_date <= at).at(-1);
}

export interface SearchFilters {
  sort?: 'id' | 'price' | '-price' | '-created' | 'drop';
  building_type?: string;
  postal_code?: string;
  country?: string;
  min_price?: number;
  max_price?: number;
  min_rooms?: number;
  min_surface?: number;
  min_drop_pct?: number;
  changed_since?: string;
}

/** What a search of this sequence's city must answer, in order. */
export function search(listings: ModelListing[], filters: SearchFilters): ModelListing[] {
  const matching = listings.filter((l) => {
    const b = l.body;
    if (filters.building_type !== undefined && b.building_type !== filters.building_type) return false;
    if (filters.postal_code !== undefined && b.postal_address.postal_code !== filters.postal_code) return false;
    if (filters.country !== undefined && b.postal_address.country !== filters.country) return false;
    if (filters.min_price !== undefined && b.latest_price_eur < filters.min_price) return false;
    if (filters.max_price !== undefined && b.latest_price_eur > filters.max_price) return false;
    if (filters.min_rooms !== undefined && b.rooms_count < filters.min_rooms) return false;
    if (filters.min_surface !== undefined && b.surface_area_m2 < filters.min_surface) return false;
    if (filters.min_drop_pct !== undefined && !(dropOf(l) >= filters.min_drop_pct)) return false;
    if (filters.changed_since !== undefined && !((lastChangeOf(l) ?? '') >= filters.changed_since && lastChangeOf(l) !== undefined)) return false;
    return true;
  });
  const by = (key: (l: ModelListing) => number | string, descending: boolean) => (a: ModelListing, b: ModelListing) => {
    const [ka, kb] = [key(a), key(b)];
    const order = ka < kb ? -1 : ka > kb ? 1 : a.id - b.id;
    return descending ? -order : order;
  };
  const sorts = {
    id: by((l) => l.id, false),
    price: by((l) => l.body.latest_price_eur, false),
    '-price': by((l) => l.body.latest_price_eur, true),
    '-created': by((l) => l.createdDate, true),
    drop: by(dropOf, true),
  };
  return matching.sort(sorts[filters.sort ?? 'id']);
}

/** Throws, with both sides, when the API and the model disagree. */
export function agree(what: string, actual: unknown, expected: unknown): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`the API and the model disagree on ${what}:\n  API:   ${JSON.stringify(actual)}\n  model: ${JSON.stringify(expected)}`);
  }
}
