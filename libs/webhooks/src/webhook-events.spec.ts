import type { ListingView, RelayedEvent } from '@app/listings';
import { eventId, eventPayload, eventTypeFor, matchesListing } from './webhook-events';

const listing: ListingView = {
  id: 12,
  name: 'Flat',
  postal_address: { street_address: '1 rue A', postal_code: '75009', city: 'Paris', country: 'FR' },
  description: 'Nice',
  building_type: 'APARTMENT',
  latest_price_eur: 270_000,
  surface_area_m2: 43.5,
  rooms_count: 2,
  bedrooms_count: 1,
  contact_phone_number: '+33612345678',
  created_date: '2026-12-01T00:00:00.000Z',
  updated_date: '2026-12-02T00:00:00.000Z',
};

function event(overrides: Partial<RelayedEvent> = {}): RelayedEvent {
  return {
    position: { tx: '10', sequence: '5' },
    sequence: 5,
    listingId: 12,
    type: 'price_changed',
    at: new Date('2026-12-02T00:00:00Z'),
    latestPriceEur: 270_000,
    previousPriceEur: 300_000,
    state: { listing, priceDropPct: 10 },
    ...overrides,
  };
}

const since = new Date('2026-12-01T00:00:00Z');

describe('eventTypeFor', () => {
  it('maps each change to the one type the subscription has, a price change falling back to listing.updated', () => {
    expect(eventTypeFor({ events: ['*'], filter: {}, createdDate: since }, event())).toBe('listing.price_changed');
    expect(eventTypeFor({ events: ['listing.updated'], filter: {}, createdDate: since }, event())).toBe('listing.updated');
    expect(eventTypeFor({ events: ['listing.created'], filter: {}, createdDate: since }, event())).toBeUndefined();
    expect(eventTypeFor({ events: ['listing.created'], filter: {}, createdDate: since }, event({ type: 'created' }))).toBe('listing.created');
    expect(eventTypeFor({ events: ['listing.price_changed'], filter: {}, createdDate: since }, event({ type: 'updated' }))).toBeUndefined();
    expect(eventTypeFor({ events: ['listing.deleted'], filter: {}, createdDate: since }, event({ type: 'deleted' }))).toBe('listing.deleted');
  });

  it('ignores changes made before the subscription existed, and events whose listing left no state', () => {
    expect(eventTypeFor({ events: ['*'], filter: {}, createdDate: new Date('2026-12-03T00:00:00Z') }, event())).toBeUndefined();
    expect(eventTypeFor({ events: ['*'], filter: {}, createdDate: since }, event({ state: undefined }))).toBeUndefined();
  });

  it('min_change_drop_pct: only price changes dropping at least that much (2 decimals), nothing else', () => {
    const alert = (pct: number) => ({ events: ['*'], filter: { min_change_drop_pct: pct }, createdDate: since });
    expect(eventTypeFor(alert(10), event())).toBe('listing.price_changed');
    expect(eventTypeFor(alert(10.01), event())).toBeUndefined();
    expect(eventTypeFor(alert(0), event({ latestPriceEur: 310_000 }))).toBeUndefined();
    expect(eventTypeFor(alert(0), event({ type: 'created' }))).toBeUndefined();
    expect(eventTypeFor(alert(5), event({ previousPriceEur: 0, latestPriceEur: 0 }))).toBeUndefined();
    // A drop of 1/3: 33.33 % once rounded.
    expect(eventTypeFor(alert(33.33), event({ previousPriceEur: 300_000, latestPriceEur: 200_000 }))).toBe('listing.price_changed');
    expect(eventTypeFor(alert(33.34), event({ previousPriceEur: 300_000, latestPriceEur: 200_000 }))).toBeUndefined();
  });
});

describe('matchesListing (GET /listings filters on one listing)', () => {
  it.each([
    [{ city: 'Paris' }, true],
    [{ city: 'paris' }, false],
    [{ postal_code: '75009' }, true],
    [{ postal_code: '75010' }, false],
    [{ country: 'FR' }, true],
    [{ country: 'BE' }, false],
    [{ building_type: 'APARTMENT' }, true],
    [{ building_type: 'HOUSE' }, false],
    [{ min_price: 270_000, max_price: 270_000 }, true],
    [{ min_price: 270_001 }, false],
    [{ max_price: 269_999 }, false],
    [{ min_rooms: 2 }, true],
    [{ min_rooms: 3 }, false],
    [{ min_surface: 43.5 }, true],
    [{ min_surface: 43.6 }, false],
    [{ min_drop_pct: 10 }, true],
    [{ min_drop_pct: 10.5 }, false],
    [{ city: 'Paris', min_rooms: 3 }, false],
  ])('%j → %s', (filter, expected) => {
    expect(matchesListing(filter, listing, 10)).toBe(expected);
  });

  it('a listing without a drop percentage (first price 0) never matches min_drop_pct', () => {
    expect(matchesListing({ min_drop_pct: 0 }, listing, null)).toBe(false);
    expect(matchesListing({}, listing, null)).toBe(true);
  });
});

describe('eventPayload and eventId', () => {
  it('builds the Standard Webhooks body: type, timestamp, data with the listing, previous (price changes only) and sequence', () => {
    expect(JSON.parse(eventPayload('listing.price_changed', event()))).toEqual({
      type: 'listing.price_changed',
      timestamp: '2026-12-02T00:00:00.000Z',
      data: { listing, previous: { latest_price_eur: 300_000 }, sequence: 5 },
    });
    expect((JSON.parse(eventPayload('listing.updated', event())) as { data: unknown }).data).toEqual({ listing, sequence: 5 });
    expect(eventId('listing.price_changed', 5)).toBe('evt_5_price_changed');
    expect(eventId('listing.updated', 5)).toBe('evt_5_updated');
  });
});
