import { euroLong, euroShort, euroTicks, layoutPriceChart, renderPriceChart, timeTicks } from './price-chart';

describe('price chart', () => {
  const frame = {
    listingId: 12,
    width: 720,
    height: 360,
    entries: 3,
    start: new Date('2026-01-10T09:00:00.000Z'),
    end: new Date('2026-11-25T12:00:00.000Z'),
    minPriceEur: 350_000,
    maxPriceEur: 395_000,
    latestPriceEur: 365_000,
  };

  it('is a standalone SVG document of the requested size, titled, with both axes labelled', () => {
    const layout = layoutPriceChart(frame);
    const svg = renderPriceChart(layout, [
      { px: 0, first: 380_000, min: 380_000, max: 380_000, last: 380_000 },
      { px: 200, first: 395_000, min: 395_000, max: 395_000, last: 395_000 },
      { px: 400, first: 365_000, min: 350_000, max: 365_000, last: 365_000 },
    ]);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="720" height="360" viewBox="0 0 720 360"/);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('<title id="chart-title">Price history of listing 12</title>');
    expect(svg).toContain('Price (EUR)');
    expect(svg).toContain('Date (UTC)');
    expect(svg).toContain('Current price 365 000 €');
    // Euro ticks and month ticks.
    expect(svg).toContain('>380k €<');
    expect(svg).toContain('>Nov 2026<');
    // One step line, its area, and one current-price marker at the right end of the plot.
    expect(svg.match(/stroke="#2f80ed"/g)).toHaveLength(1);
    expect(svg.match(/<circle cx="(\d+)"/)?.[1]).toBe(String(layout.plot.left + layout.plot.width));
  });

  it('draws a step per column: horizontal to the column, then vertical through its prices', () => {
    const layout = layoutPriceChart(frame);
    const svg = renderPriceChart(layout, [
      { px: 0, first: 380_000, min: 380_000, max: 380_000, last: 380_000 },
      { px: 10, first: 370_000, min: 360_000, max: 390_000, last: 365_000 },
    ]);
    const line = /<path d="(M[^"]+)" fill="none" stroke="#2f80ed"/.exec(svg)?.[1] ?? '';
    expect(line).toMatch(/^M[\d.]+ [\d.]+H[\d.]+V[\d.]+V[\d.]+V[\d.]+V[\d.]+H[\d.]+$/);
  });

  it('keeps every coordinate inside the picture, at every allowed size', () => {
    for (const [width, height] of [
      [320, 200],
      [1600, 1000],
    ]) {
      const layout = layoutPriceChart({ ...frame, width, height });
      expect(layout.plot.left).toBeGreaterThan(0);
      expect(layout.plot.left + layout.plot.width).toBeLessThanOrEqual(width);
      expect(layout.plot.top + layout.plot.height).toBeLessThanOrEqual(height);
      expect(layout.xTicks.length).toBeGreaterThanOrEqual(1);
      expect(layout.yTicks.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('a price that never changed gets a band around it; a new listing gets an axis a minute long', () => {
    const layout = layoutPriceChart({ ...frame, minPriceEur: 100_000, maxPriceEur: 100_000, start: frame.end });
    expect(layout.yMin).toBeLessThan(100_000);
    expect(layout.yMax).toBeGreaterThan(100_000);
    expect(layout.endMs - layout.startMs).toBe(60_000);
    expect(euroTicks(0, 0, 4).ticks).toEqual([0, 1]);
  });

  it('picks round euro steps and calendar-aligned date steps', () => {
    expect(euroTicks(350_000, 395_000, 5).ticks).toEqual([350_000, 360_000, 370_000, 380_000, 390_000, 400_000]);
    expect(timeTicks(Date.parse('2026-01-10T00:00:00Z'), Date.parse('2026-01-20T00:00:00Z'), 6).map((t) => t.label)).toEqual([
      '2026-01-11',
      '2026-01-13',
      '2026-01-15',
      '2026-01-17',
      '2026-01-19',
    ]);
    expect(timeTicks(Date.parse('2020-03-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z'), 6).map((t) => t.label)).toEqual(['2021', '2022', '2023', '2024', '2025', '2026']);
  });

  it('formats euros for axes and labels', () => {
    expect([euroShort(950), euroShort(9_500), euroShort(380_000), euroShort(1_250_000), euroShort(2_500_000_000)]).toEqual(['950 €', '9 500 €', '380k €', '1.25M €', '2.5bn €']);
    expect(euroLong(1_234_567)).toBe('1 234 567 €');
  });
});
