import type { Statement } from '@app/database';
import { PRICE_SUMMARY_INSERT_COLUMNS, priceSummaryAfterWrite, priceSummaryOfFirstPrice } from '@app/prices';
import { OWN_TX } from './change-feed/change-feed.statements';
import { ListingWriteDto } from './dto/listing-write.dto';

/**
 * The statements of the listing write path (plain SQL on SqlService: it is the hottest write, and
 * each statement is prepared once per connection). Columns come back under the same names and types
 * as in listing-search.ts, so one mapper serves both.
 */
const RETURNED = `id, name, description, building_type::text AS building_type, surface_area_m2, rooms_count, bedrooms_count,
  contact_phone_number, street_address, postal_code, city, country, latest_price_eur, created_date, updated_date`;

export const SELECT_LISTING: Statement = { name: 'listing_by_id', text: `SELECT ${RETURNED} FROM listing WHERE id = $1` };

/** The price summary columns (libs/prices owns their SQL) start as the summary of a one-entry history. */
export const INSERT_LISTING: Statement = {
  name: 'listing_insert',
  text: `INSERT INTO listing (name, description, building_type, surface_area_m2, rooms_count, bedrooms_count, contact_phone_number,
           street_address, postal_code, city, country, latest_price_eur, owner_id, created_date, updated_date,
           ${PRICE_SUMMARY_INSERT_COLUMNS}, event_tx)
         VALUES ($1, $2, $3::building_type, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14,
           ${priceSummaryOfFirstPrice('$12::numeric')}, ${OWN_TX})
         RETURNING ${RETURNED}`,
};

/**
 * Also moves event_tx on: the change feed position of the event this write records (see RECORD_EVENT).
 * Also moves the price summary on when the price changes (libs/prices' fragment), in the same statement:
 * one row version per write, under LOCK_LISTING's lock. An unchanged price leaves every summary column as
 * it was (and the update HOT when nothing else indexed changes).
 */
export const UPDATE_LISTING: Statement = {
  name: 'listing_update',
  text: `UPDATE listing SET name = $1, description = $2, building_type = $3::building_type, surface_area_m2 = $4, rooms_count = $5,
           bedrooms_count = $6, contact_phone_number = $7, street_address = $8, postal_code = $9, city = $10, country = $11,
           latest_price_eur = $12, updated_date = $14,
           ${priceSummaryAfterWrite('$12', '$14')},
           event_tx = greatest(event_tx, ${OWN_TX})
         WHERE id = $13
         RETURNING ${RETURNED}, event_tx`,
};

/** Locks the row for the rest of the transaction and returns what the write decisions need. */
export const LOCK_LISTING: Statement = {
  name: 'listing_lock',
  text: 'SELECT owner_id, latest_price_eur, updated_date, event_tx FROM listing WHERE id = $1 FOR UPDATE',
};

export const DELETE_LISTING: Statement = { name: 'listing_delete', text: 'DELETE FROM listing WHERE id = $1' };

/** $1..$12 of INSERT_LISTING and UPDATE_LISTING, in order. */
export function writableValues(dto: ListingWriteDto): unknown[] {
  const address = dto.postal_address;
  return [
    dto.name,
    dto.description,
    dto.building_type,
    dto.surface_area_m2,
    dto.rooms_count,
    dto.bedrooms_count,
    // PUT is a full replacement: an omitted phone number clears the stored one.
    dto.contact_phone_number ?? null,
    address.street_address,
    address.postal_code,
    address.city,
    address.country,
    dto.latest_price_eur,
  ];
}
