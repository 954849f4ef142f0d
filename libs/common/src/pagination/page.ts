/**
 * One page of a key-paginated list: the rows, and the cursor of the next page when there is one (of a
 * feed: where the next poll starts). Returned by services; @Paginated() routes send it as the
 * contract's bare JSON array with the cursor in the Link header.
 */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/**
 * Callers fetch `limit + 1` rows: the extra row only proves that a next page exists, and the cursor
 * points just after the last row actually returned.
 */
export function toPage<Row, T>(rows: Row[], limit: number, map: (row: Row) => T, cursorOf: (row: Row) => string): Page<T> {
  const hasMore = rows.length > limit;
  const kept = hasMore ? rows.slice(0, limit) : rows;
  return { items: kept.map(map), nextCursor: hasMore ? cursorOf(kept[kept.length - 1]) : undefined };
}

/**
 * `Link: <url>; rel="next"` for the next page (RFC 8288), keeping the request's path and every other
 * query parameter, so filters and sort survive paging. The cursor goes in `param`; without one, the
 * link has none (a feed read from its start, still empty).
 */
export function nextLink(requestUrl: string, nextCursor: string | undefined, param = 'cursor'): string {
  const url = new URL(requestUrl, 'http://placeholder');
  if (nextCursor === undefined) url.searchParams.delete(param);
  else url.searchParams.set(param, nextCursor);
  return `<${url.pathname}${url.search}>; rel="next"`;
}
