import { type SqlQuery, prepared, raw, sql, withWireTimestamps } from '@app/database';
import { PRICE_SUMMARY_INSERT_COLUMNS, priceSummaryAfterWrite, priceSummaryOfFirstPrice } from '@app/prices';
import { OWN_TX } from './change-feed/change-feed.statements';
import type { ListingWriteDto } from './dto/listing-write.dto';

/**
 * The listing table's statements and row types (libs/listings owns the table; the price summary columns'
 * SQL is libs/prices', composed in here so that a write stays one statement). The search statement is
 * built in listing-search.ts from the same column list.
 */

/** The columns of the wire representation, under the names ListingRow gives them. */
export const LISTING_COLUMNS = raw(
  'id, name, description, building_type::text AS building_type, surface_area_m2, rooms_count, bedrooms_count, contact_phone_number, ' +
    'street_address, postal_code, city, country, latest_price_eur, created_date, updated_date',
);

/**
 * A listing row as LISTING_COLUMNS return it (SQL names). Timestamps are Dates, or RFC 3339 strings for the reads
 * that go straight to a response (`ListingRow<string>`, withWireTimestamps).
 */
export interface ListingRow<Timestamp extends Date | string = Date> {
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
  created_date: Timestamp;
  updated_date: Timestamp;
  /** Only selected by sort=drop, for its cursor (float8: a JS number, -Infinity included). */
  price_drop_pct?: number;
}

/**
 * What a write decides on, read under the row lock: the owner, the change-feed position, and the listing as it is
 * before the write (the audit log's "before" values, read by this same statement rather than by another query).
 */
export interface LockedListingRow extends ListingRow {
  owner_id: number;
  /** The change-feed position of the listing's latest event (bigint as a string). */
  event_tx: string;
}

const OWN_TX_SQL = raw(OWN_TX);

/**
 * The write path's row lock. test/support/app-process.ts empties `clause` in a test process to prove
 * that the cross-process test fails without it (never in the service).
 */
export const WRITE_LOCK = { clause: 'FOR UPDATE' };

export const selectListing = (id: number): SqlQuery => withWireTimestamps(prepared('listing_by_id')`SELECT ${LISTING_COLUMNS} FROM listing WHERE id = ${id}`);

/** The writable fields of a POST or PUT body, as SQL values in column order. */
function writableFields(dto: ListingWriteDto) {
  const address = dto.postal_address;
  return {
    // PUT is a full replacement: an omitted phone number clears the stored one.
    phone: dto.contact_phone_number ?? null,
    address,
    price: sql`${dto.latest_price_eur}::numeric`,
  };
}

/** The price summary columns (libs/prices owns their SQL) start as the summary of a one-entry history. */
export function insertListing(dto: ListingWriteDto, ownerId: number, at: Date): SqlQuery {
  const { phone, address, price } = writableFields(dto);
  return prepared('listing_insert')`INSERT INTO listing (name, description, building_type, surface_area_m2, rooms_count, bedrooms_count,
      contact_phone_number, street_address, postal_code, city, country, latest_price_eur, owner_id, created_date, updated_date,
      ${raw(PRICE_SUMMARY_INSERT_COLUMNS)}, event_tx)
    VALUES (${dto.name}, ${dto.description}, ${dto.building_type}::building_type, ${dto.surface_area_m2}, ${dto.rooms_count}, ${dto.bedrooms_count},
      ${phone}, ${address.street_address}, ${address.postal_code}, ${address.city}, ${address.country}, ${price}, ${ownerId}, ${at}, ${at},
      ${priceSummaryOfFirstPrice(price)}, ${OWN_TX_SQL})
    RETURNING ${LISTING_COLUMNS}, price_drop_pct`;
}

/**
 * Also moves event_tx on: the change feed position of the event this write records (see recordEvent).
 * Also moves the price summary on when the price changes (libs/prices' fragment), in the same statement:
 * one row version per write, under lockListing's lock. An unchanged price leaves every summary column as
 * it was (and the update HOT when nothing else indexed changes).
 */
export function updateListing(id: number, dto: ListingWriteDto, at: Date): SqlQuery {
  const { phone, address, price } = writableFields(dto);
  const stamp = sql`${at}::timestamptz`;
  return prepared('listing_update')`UPDATE listing SET name = ${dto.name}, description = ${dto.description},
      building_type = ${dto.building_type}::building_type, surface_area_m2 = ${dto.surface_area_m2}, rooms_count = ${dto.rooms_count},
      bedrooms_count = ${dto.bedrooms_count}, contact_phone_number = ${phone}, street_address = ${address.street_address},
      postal_code = ${address.postal_code}, city = ${address.city}, country = ${address.country},
      latest_price_eur = ${price}, updated_date = ${stamp},
      ${priceSummaryAfterWrite(price, stamp)},
      event_tx = greatest(event_tx, ${OWN_TX_SQL})
    WHERE id = ${id}
    RETURNING ${LISTING_COLUMNS}, price_drop_pct, event_tx`;
}

/** Locks the row for the rest of the transaction and returns what the write decisions and its audit entry need. */
export const lockListing = (id: number): SqlQuery =>
  prepared(WRITE_LOCK.clause === 'FOR UPDATE' ? 'listing_lock' : 'listing_lock_naive')`SELECT ${LISTING_COLUMNS}, owner_id, event_tx
    FROM listing WHERE id = ${id} ${raw(WRITE_LOCK.clause)}`;

/** Returns the row as it was: the deleted event keeps it as the listing's last state (for webhooks). */
export const deleteListing = (id: number): SqlQuery => prepared('listing_delete_returning')`DELETE FROM listing WHERE id = ${id} RETURNING ${LISTING_COLUMNS}, price_drop_pct`;

/** The listings of a batch of change-feed events as they are now, with the drop the min_drop_pct filter compares (webhook relay). */
export const selectListingStates = (ids: number[]): SqlQuery =>
  prepared('listing_states')`SELECT ${LISTING_COLUMNS}, price_drop_pct FROM listing WHERE id = ANY(${ids}::int4[])`;
