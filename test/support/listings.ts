import type { ListingView, ListingWriteDto } from '@app/listings';

export type ListingBody = Omit<ListingWriteDto, never>;

let counter = 0;

/** A valid ListingWrite body; override any field. */
export function aListing(overrides: Partial<Record<keyof ListingWriteDto, unknown>> = {}): Record<string, unknown> {
  counter += 1;
  return {
    name: `Test listing ${counter}`,
    postal_address: { street_address: '48, boulevard des capucins', postal_code: '75009', city: 'Paris', country: 'FR' },
    description: 'Bright flat, second floor, south facing.',
    building_type: 'APARTMENT',
    latest_price_eur: 100_000,
    surface_area_m2: 43.5,
    rooms_count: 2,
    bedrooms_count: 1,
    contact_phone_number: '+33612345678',
    ...overrides,
  };
}

export type Listing = ListingView;
export interface PriceEntry {
  price_eur: number;
  created_date: string;
}
