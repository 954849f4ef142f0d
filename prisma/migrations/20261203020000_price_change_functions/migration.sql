-- The price movement formula, written once. Every writer of the price summary columns of "listing"
-- (the listing writes of libs/listings through libs/prices' SQL, the data generator, the query-plan test)
-- and the summary read call these, so the stored price_drop_pct and the percentages the summary shows
-- cannot drift apart. Both are inlined by the planner (immutable SQL functions with one expression), so
-- they cost what the expression costs.

-- The change from one price to another, in percent rounded half away from zero to 2 decimals; NULL from
-- a price of 0 (no percentage of nothing).
CREATE FUNCTION "price_change_pct"("from_price" NUMERIC, "to_price" NUMERIC) RETURNS NUMERIC
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN "from_price" <> 0 THEN round(("to_price" - "from_price") * 100 / "from_price", 2) END;

-- The drop from the first price to the latest as price_drop_pct stores it: positive when the price went
-- down; -Infinity from a first price of 0, so such a listing never passes min_drop_pct and comes after
-- every other in sort=drop. (Rounding half away from zero is symmetric, so this is exactly minus the change.)
CREATE FUNCTION "price_drop_pct"("first_price" NUMERIC, "latest_price" NUMERIC) RETURNS DOUBLE PRECISION
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN coalesce((-"price_change_pct"("first_price", "latest_price"))::float8, '-Infinity'::float8);
