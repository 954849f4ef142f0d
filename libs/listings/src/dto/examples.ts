/** Realistic examples for the API documentation. */
export const EXAMPLE_LISTING_WRITE = {
  name: 'Bright two-room flat near the Canal Saint-Martin',
  postal_address: { street_address: '48, boulevard des capucins', postal_code: '75009', city: 'Paris', country: 'FR' },
  description: 'Second floor with a lift, south facing, renovated in 2021. Five minutes from the metro.',
  building_type: 'APARTMENT',
  latest_price_eur: 380000,
  surface_area_m2: 43,
  rooms_count: 2,
  bedrooms_count: 1,
  contact_phone_number: '+33612345678',
} as const;

export const EXAMPLE_LISTING = {
  id: 1234,
  ...EXAMPLE_LISTING_WRITE,
  created_date: '2026-11-20T09:12:44.518Z',
  updated_date: '2026-11-23T16:02:10.004Z',
} as const;
