/**
 * The price chart of a listing as an SVG document, drawn here from numbers (no browser, no library):
 * a step line (a price holds until the next entry), euro ticks on the y axis, date ticks (UTC) on the x
 * axis, and the current price marked at the right end, which is "now".
 *
 * The history reaches the renderer already reduced to one column per horizontal pixel (PriceChartColumn,
 * computed by the database), so the document's size depends on the picture's width, not on how many
 * entries the history has.
 */

/** What the chart needs to know before reading the history: the summary's aggregates and the size. */
export interface PriceChartFrame {
  listingId: number;
  width: number;
  height: number;
  entries: number;
  /** The first entry's time (the listing's creation) and the right end of the time axis (now). */
  start: Date;
  end: Date;
  minPriceEur: number;
  maxPriceEur: number;
  latestPriceEur: number;
}

/** The entries of one pixel column, in history order: its first, lowest, highest and last price. */
export interface PriceChartColumn {
  px: number;
  first: number;
  min: number;
  max: number;
  last: number;
}

export interface PriceChartLayout {
  frame: PriceChartFrame;
  plot: { left: number; top: number; width: number; height: number };
  yTicks: number[];
  yMin: number;
  yMax: number;
  xTicks: { at: number; label: string }[];
  /** The time axis as it really is (at least a minute long). */
  startMs: number;
  endMs: number;
}

const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', Arial, sans-serif"`;
const TICK_FONT_SIZE = 12;
/** Width of one tick-label character at TICK_FONT_SIZE, generously: labels are digits, spaces and "k €". */
const CHAR_WIDTH = 7.2;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Axes, ticks and the plot area for this frame: everything but the line. */
export function layoutPriceChart(frame: PriceChartFrame): PriceChartLayout {
  const top = 44;
  const bottom = 48;
  const plotHeight = frame.height - top - bottom;
  const { ticks: yTicks, min: yMin, max: yMax } = euroTicks(frame.minPriceEur, frame.maxPriceEur, Math.max(2, Math.floor(plotHeight / 48)));
  const labelWidth = Math.max(...yTicks.map((tick) => euroShort(tick).length)) * CHAR_WIDTH;
  const left = Math.ceil(28 + labelWidth + 10);
  const right = 24;
  const plotWidth = frame.width - left - right;
  const startMs = frame.start.getTime();
  // A listing created a moment ago still gets an axis to draw on.
  const endMs = Math.max(frame.end.getTime(), startMs + MINUTE);
  return {
    frame,
    plot: { left, top, width: plotWidth, height: plotHeight },
    yTicks,
    yMin,
    yMax,
    xTicks: timeTicks(startMs, endMs, Math.max(2, Math.floor(plotWidth / 110))),
    startMs,
    endMs,
  };
}

/** The SVG document. `columns` are in px order, the first one at px 0 (the first entry). */
export function renderPriceChart(layout: PriceChartLayout, columns: PriceChartColumn[]): string {
  const { frame, plot } = layout;
  const x = (ms: number) => plot.left + ((ms - layout.startMs) / (layout.endMs - layout.startMs)) * plot.width;
  const y = (price: number) => plot.top + plot.height - ((price - layout.yMin) / (layout.yMax - layout.yMin)) * plot.height;
  const plotRight = plot.left + plot.width;
  const plotBottom = plot.top + plot.height;

  let line = '';
  columns.forEach((column, i) => {
    const cx = plot.left + Math.min(column.px, plot.width);
    line += i === 0 ? `M${n(cx)} ${n(y(column.first))}` : `H${n(cx)}V${n(y(column.first))}`;
    // Several entries in one pixel column: a vertical stroke through all of them, ending at the last.
    if (column.min !== column.first || column.max !== column.first || column.last !== column.first) {
      line += `V${n(y(column.min))}V${n(y(column.max))}V${n(y(column.last))}`;
    }
  });
  line += `H${n(plotRight)}`;
  const area = `${line}V${n(plotBottom)}H${n(plot.left)}Z`;

  const latestY = y(frame.latestPriceEur);
  const current = euroLong(frame.latestPriceEur);
  // The current price's label sits above its marker, or below it when the marker is near the top.
  const labelY = latestY - 10 < plot.top + 14 ? latestY + 20 : latestY - 10;
  const title = `Price history of listing ${frame.listingId}`;
  const entries = `${frame.entries} ${frame.entries === 1 ? 'price' : 'prices'} since ${isoDay(layout.startMs)}`;

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${frame.width}" height="${frame.height}" viewBox="0 0 ${frame.width} ${frame.height}" role="img" aria-labelledby="chart-title chart-desc" ${FONT} font-size="${TICK_FONT_SIZE}">`,
    `<title id="chart-title">${escapeXml(title)}</title>`,
    `<desc id="chart-desc">${escapeXml(`${entries}. Current price ${current}, lowest ${euroLong(frame.minPriceEur)}, highest ${euroLong(frame.maxPriceEur)}.`)}</desc>`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${plot.left}" y="20" font-size="15" font-weight="600" fill="#1f2933">${escapeXml(title)}</text>`,
    `<text x="${plot.left}" y="36" fill="#52606d">${escapeXml(entries)}</text>`,
    `<text x="${n(plotRight)}" y="20" font-size="15" font-weight="600" fill="#1f2933" text-anchor="end">${escapeXml(`Current price ${current}`)}</text>`,
    // Grid and y ticks.
    `<g stroke="#e4e7eb" stroke-width="1">${layout.yTicks.map((tick) => `<line x1="${plot.left}" x2="${n(plotRight)}" y1="${n(y(tick))}" y2="${n(y(tick))}"/>`).join('')}${layout.xTicks
      .map((tick) => `<line x1="${n(x(tick.at))}" x2="${n(x(tick.at))}" y1="${plot.top}" y2="${n(plotBottom)}"/>`)
      .join('')}</g>`,
    `<g fill="#52606d" text-anchor="end">${layout.yTicks.map((tick) => `<text x="${plot.left - 8}" y="${n(y(tick) + 4)}">${escapeXml(euroShort(tick))}</text>`).join('')}</g>`,
    `<g fill="#52606d" text-anchor="middle">${layout.xTicks.map((tick) => `<text x="${n(x(tick.at))}" y="${n(plotBottom + 18)}">${escapeXml(tick.label)}</text>`).join('')}</g>`,
    // Axes and their titles.
    `<path d="M${plot.left} ${plot.top}V${n(plotBottom)}H${n(plotRight)}" fill="none" stroke="#9aa5b1" stroke-width="1"/>`,
    `<text transform="translate(14 ${n(plot.top + plot.height / 2)}) rotate(-90)" text-anchor="middle" fill="#323f4b">Price (EUR)</text>`,
    `<text x="${n(plot.left + plot.width / 2)}" y="${frame.height - 8}" text-anchor="middle" fill="#323f4b">Date (UTC)</text>`,
    // The history, then the current price on top.
    `<path d="${area}" fill="#2f80ed" fill-opacity="0.08" stroke="none"/>`,
    `<path d="${line}" fill="none" stroke="#2f80ed" stroke-width="2" stroke-linejoin="round"/>`,
    `<circle cx="${n(plotRight)}" cy="${n(latestY)}" r="5" fill="#d64545" stroke="#ffffff" stroke-width="2"><title>${escapeXml(`Current price: ${current}`)}</title></circle>`,
    `<text x="${n(plotRight - 8)}" y="${n(labelY)}" text-anchor="end" font-weight="600" fill="#d64545">${escapeXml(current)}</text>`,
    '</svg>',
  ];
  return `${parts.join('\n')}\n`;
}

/** Round y-axis ticks covering [min, max]: steps of 1, 2, 2.5 or 5 times a power of ten. */
export function euroTicks(min: number, max: number, targetCount: number): { ticks: number[]; min: number; max: number } {
  let low = min;
  let high = max;
  if (low === high) {
    // A price that never changed: a band around it.
    const pad = Math.max(1, Math.abs(low) * 0.1);
    low = Math.max(0, low - pad);
    high += pad;
  }
  const step = niceStep((high - low) / targetCount);
  const from = Math.floor(low / step) * step;
  const to = Math.ceil(high / step) * step;
  const ticks: number[] = [];
  for (let tick = from; tick <= to + step / 2; tick += step) ticks.push(Number(tick.toPrecision(12)));
  return { ticks, min: from, max: to === from ? from + step : to };
}

function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  for (const multiple of [1, 2, 2.5, 5]) if (multiple * power >= rough) return multiple * power;
  return 10 * power;
}

interface TimeStep {
  /** Fixed length, or calendar months. */
  ms?: number;
  months?: number;
  label: (ms: number) => string;
}

const TIME_STEPS: TimeStep[] = [
  ...[1, 5, 10, 15, 30].map((m) => ({ ms: m * MINUTE, label: hourMinute })),
  ...[1, 2, 3, 6, 12].map((h) => ({ ms: h * HOUR, label: dayHourMinute })),
  ...[1, 2, 7, 14].map((d) => ({ ms: d * DAY, label: isoDay })),
  ...[1, 2, 3, 6].map((m) => ({ months: m, label: monthYear })),
  ...[12, 24, 60, 120, 240, 600, 1200].map((m) => ({ months: m, label: year })),
];

/** Date ticks inside [startMs, endMs], at the finest calendar-aligned step that gives at most `maxCount`. */
export function timeTicks(startMs: number, endMs: number, maxCount: number): { at: number; label: string }[] {
  for (const step of TIME_STEPS) {
    const ticks = ticksOf(step, startMs, endMs, maxCount + 1);
    if (ticks.length <= maxCount) return ticks.map((at) => ({ at, label: step.label(at) }));
  }
  return [];
}

function ticksOf(step: TimeStep, startMs: number, endMs: number, limit: number): number[] {
  const ticks: number[] = [];
  if (step.ms !== undefined) {
    for (let at = Math.ceil(startMs / step.ms) * step.ms; at <= endMs && ticks.length < limit; at += step.ms) ticks.push(at);
    return ticks;
  }
  const months = step.months ?? 1;
  const start = new Date(startMs);
  let index = start.getUTCFullYear() * 12 + start.getUTCMonth();
  index = Math.ceil(index / months) * months;
  for (;;) {
    const at = Date.UTC(Math.floor(index / 12), index % 12, 1);
    if (at > endMs || ticks.length >= limit) return ticks;
    if (at >= startMs) ticks.push(at);
    index += months;
  }
}

function pad2(value: number): string {
  return String(value).padStart(2, '0');
}

function hourMinute(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
}

function dayHourMinute(ms: number): string {
  const d = new Date(ms);
  return `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${hourMinute(ms)}`;
}

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function monthYear(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

function year(ms: number): string {
  return String(new Date(ms).getUTCFullYear());
}

/** "380 000 €": whole euros, digits grouped by three. */
export function euroLong(value: number): string {
  return `${String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ' ')} €`;
}

/** Axis labels: "950 €", "9 500 €", "380k €", "1.25M €", "2.5bn €". */
export function euroShort(value: number): string {
  const trim = (n: number) => String(Number(n.toFixed(2)));
  if (Math.abs(value) >= 1e9) return `${trim(value / 1e9)}bn €`;
  if (Math.abs(value) >= 1e6) return `${trim(value / 1e6)}M €`;
  if (Math.abs(value) >= 1e4) return `${trim(value / 1e3)}k €`;
  return euroLong(value);
}

/** Coordinates with at most one decimal: small documents, no visible difference. */
function n(value: number): string {
  return String(Math.round(value * 10) / 10);
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
