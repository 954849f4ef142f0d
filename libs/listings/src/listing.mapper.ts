import { ListingView } from './dto/listing.view';
import type { BuildingTypeName } from './dto/listing-write.dto';
import { isoOf } from '@app/database';
import type { ListingRow } from './listing.statements';

/** The wire shape (the contract's Listing) of a row. */
export function toListingViewFromRow(row: ListingRow<Date | string>): ListingView {
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
    created_date: isoOf(row.created_date),
    updated_date: isoOf(row.updated_date),
  };
  if (row.contact_phone_number !== null) view.contact_phone_number = row.contact_phone_number;
  return view;
}
