import type { Listing } from '@app/database';
import { ListingView } from './dto/listing.view';
import { ListingWriteDto } from './dto/listing-write.dto';

/** The columns a client may write, from the wire shape (nested address, snake_case) to the row. */
export function toListingColumns(dto: ListingWriteDto) {
  return {
    name: dto.name,
    description: dto.description,
    buildingType: dto.building_type,
    surfaceAreaM2: dto.surface_area_m2,
    roomsCount: dto.rooms_count,
    bedroomsCount: dto.bedrooms_count,
    // PUT is a full replacement: an omitted phone number clears the stored one.
    contactPhoneNumber: dto.contact_phone_number ?? null,
    streetAddress: dto.postal_address.street_address,
    postalCode: dto.postal_address.postal_code,
    city: dto.postal_address.city,
    country: dto.postal_address.country,
    latestPriceEur: dto.latest_price_eur,
  };
}

export function toListingView(row: Listing): ListingView {
  const view: ListingView = {
    id: row.id,
    name: row.name,
    postal_address: { street_address: row.streetAddress, postal_code: row.postalCode, city: row.city, country: row.country },
    description: row.description,
    building_type: row.buildingType,
    latest_price_eur: row.latestPriceEur.toNumber(),
    surface_area_m2: row.surfaceAreaM2,
    rooms_count: row.roomsCount,
    bedrooms_count: row.bedroomsCount,
    created_date: row.createdDate.toISOString(),
    updated_date: row.updatedDate.toISOString(),
  };
  // The contract types the phone as a string (never null), so an absent one is left out.
  if (row.contactPhoneNumber !== null) view.contact_phone_number = row.contactPhoneNumber;
  return view;
}
