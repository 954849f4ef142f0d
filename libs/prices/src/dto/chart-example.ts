import { layoutPriceChart, renderPriceChart } from '../price-chart';

/**
 * A chart of a made-up history, drawn by the same renderer as the endpoint, for the OpenAPI document:
 * Swagger UI shows an SVG response as text, so the picture is embedded in the operation's description
 * as an HTML image with a data: URI (its Markdown keeps HTML images, and data: URIs on them).
 */
export function exampleChartDataUri(): string {
  const history: [string, number][] = [
    ['2026-03-02T09:12:44.518Z', 380_000],
    ['2026-05-18T14:03:00.000Z', 395_000],
    ['2026-08-27T10:40:12.000Z', 350_000],
    ['2026-10-05T16:02:10.004Z', 365_000],
  ];
  const layout = layoutPriceChart({
    listingId: 12,
    width: 720,
    height: 360,
    entries: history.length,
    start: new Date(history[0][0]),
    end: new Date('2026-11-25T12:00:00.000Z'),
    minPriceEur: 350_000,
    maxPriceEur: 395_000,
    latestPriceEur: 365_000,
  });
  const columns = history.map(([at, price]) => {
    const px = Math.floor(((Date.parse(at) - layout.startMs) / (layout.endMs - layout.startMs)) * layout.plot.width);
    return { px, first: price, min: price, max: price, last: price };
  });
  return `data:image/svg+xml;base64,${Buffer.from(renderPriceChart(layout, columns), 'utf8').toString('base64')}`;
}
