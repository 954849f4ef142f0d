import type { ListingView, RelayedEvent } from '@app/listings';
import type { WebhookFilter } from './dto/webhook-filter.dto';

export const WEBHOOK_EVENT_TYPES = ['listing.created', 'listing.updated', 'listing.price_changed', 'listing.deleted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
export const PING_EVENT = 'webhook.ping';

/** What the relay needs of a subscription to decide whether an event is for it. */
export interface SubscriptionInterest {
  events: string[];
  filter: WebhookFilter;
  createdDate: Date;
}

/**
 * The event type this subscription gets for this change, or undefined when the change is not for it.
 *
 * - A PUT that changes the price is `listing.price_changed` for a subscription that has it (or `*`), and
 *   `listing.updated` for one that has only `listing.updated`: one event per change and subscription, never two.
 * - `min_change_drop_pct` makes the subscription a price-drop alert: only price changes that drop by at least
 *   that much, nothing else.
 * - The other filter fields apply to the listing as it is after the change (deleted: as it was last).
 * - Changes made before the subscription existed are not for it (a relay catching up must not replay them).
 */
export function eventTypeFor(subscription: SubscriptionInterest, event: RelayedEvent): WebhookEventType | undefined {
  // getTime(): comparing Date objects with < converts both through valueOf, some 40 times slower (this runs
  // for every event and every subscription).
  if (event.at.getTime() < subscription.createdDate.getTime()) return undefined;
  const type = typeFor(subscription.events, event.type);
  if (!type || !event.state) return undefined;
  const { filter } = subscription;
  if (filter.min_change_drop_pct !== undefined) {
    if (type !== 'listing.price_changed' || !dropsBy(event.previousPriceEur, event.latestPriceEur, filter.min_change_drop_pct)) return undefined;
  }
  return matchesListing(filter, event.state.listing, event.state.priceDropPct) ? type : undefined;
}

function typeFor(events: string[], change: RelayedEvent['type']): WebhookEventType | undefined {
  const wants = (type: WebhookEventType) => events.includes(type) || events.includes('*');
  switch (change) {
    case 'created':
      return wants('listing.created') ? 'listing.created' : undefined;
    case 'price_changed':
      return wants('listing.price_changed') ? 'listing.price_changed' : wants('listing.updated') ? 'listing.updated' : undefined;
    case 'updated':
      return wants('listing.updated') ? 'listing.updated' : undefined;
    case 'deleted':
      return wants('listing.deleted') ? 'listing.deleted' : undefined;
  }
}

/** The drop in percent, as the price history's summary computes it (2 decimals), compared with `min`. */
function dropsBy(previous: number | null, next: number | null, min: number): boolean {
  if (previous === null || next === null || previous <= 0) return false;
  const dropPct = Math.round(((previous - next) / previous) * 10_000) / 100;
  return dropPct >= min;
}

/** GET /listings' filters, on one listing (see ListingsQuery for each one's meaning). */
export function matchesListing(filter: WebhookFilter, listing: ListingView, priceDropPct: number | null): boolean {
  const address = listing.postal_address;
  if (filter.city !== undefined && address.city !== filter.city) return false;
  if (filter.postal_code !== undefined && address.postal_code !== filter.postal_code) return false;
  if (filter.country !== undefined && address.country !== filter.country) return false;
  if (filter.building_type !== undefined && listing.building_type !== filter.building_type) return false;
  if (filter.min_price !== undefined && listing.latest_price_eur < filter.min_price) return false;
  if (filter.max_price !== undefined && listing.latest_price_eur > filter.max_price) return false;
  if (filter.min_rooms !== undefined && listing.rooms_count < filter.min_rooms) return false;
  if (filter.min_surface !== undefined && listing.surface_area_m2 < filter.min_surface) return false;
  if (filter.min_drop_pct !== undefined && (priceDropPct === null || priceDropPct < filter.min_drop_pct)) return false;
  return true;
}

/** The delivery's body (Standard Webhooks: type, timestamp, data), fixed when the delivery is created. */
export function eventPayload(type: WebhookEventType, event: RelayedEvent): string {
  const data: Record<string, unknown> = { listing: event.state?.listing };
  if (type === 'listing.price_changed') data.previous = { latest_price_eur: event.previousPriceEur };
  data.sequence = event.sequence;
  return JSON.stringify({ type, timestamp: event.at.toISOString(), data });
}

/**
 * The webhook-id: stable across retries, unique per event and type (a receiver deduplicates on it). Two
 * subscriptions hearing the same change with the same type share it: it names the event, not the delivery.
 */
export function eventId(type: WebhookEventType, sequence: number): string {
  return `evt_${sequence}_${type.slice('listing.'.length)}`;
}
