import { ListingView } from './dto/listing.view';
import type { BuildingTypeName } from './dto/listing-write.dto';

/** A listing row as the statements of listing-search.ts and listing-writes.ts return it (SQL names). */
export interface ListingRow {
  id: number;
  name: string;
  description: string;
  building_type: string;
  surface_area_m2: number;
  rooms_count: number;
  bedrooms_count: number;
  contact_phone_number: string | null;
  street_address: string;
  postal_code: string;
  city: string;
  country: string;
  /** NUMERIC, as node-postgres returns it: an exact decimal string. */
  latest_price_eur: string;
  created_date: Date;
  updated_date: Date;
  /** Only selected by sort=drop, for its cursor (float8: a JS number, -Infinity included). */
  price_drop_pct?: number;
}

/** The wire shape (the contract's Listing) of a row. */
export function toListingViewFromRow(row: ListingRow): ListingView {
  const view: ListingView = {
    id: row.id,
    name: row.name,
    postal_address: { street_address: row.street_address, postal_code: row.postal_code, city: row.city, country: row.country },
    description: row.description,
    building_type: row.building_type as BuildingTypeName,
    // Whole euros up to 10^12: exact as a JS number.
    latest_price_eur: Number(row.latest_price_eur),
    surface_area_m2: row.surface_area_m2,
    rooms_count: row.rooms_count,
    bedrooms_count: row.bedrooms_count,
    created_date: row.created_date.toISOString(),
    updated_date: row.updated_date.toISOString(),
  };
  if (row.contact_phone_number !== null) view.contact_phone_number = row.contact_phone_number;
  return view;
}
