/** Summaries of the measured rounds, written as JSON, a Markdown table and an SVG chart of APP/BASE ratios. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { JwtVerifyResult } from '../jwt-verify';
import { type BudgetCheck, budgetText, checkBudget } from './budget';
import type { LoadResult } from './load';
import type { MatchingResult } from './matching';
import { type Unavailable, WEBHOOK_TARGETS, type WebhookSummary, webhookMarkdown } from './webhook-report';
import type { DeliveryFigures, W1hRound } from './webhooks';

export type Side = 'app' | 'base';

/** One server's measurements of one scenario: a result per round, or why there is none. */
export interface SideRuns {
  rounds: LoadResult[];
  /** How long the server was warmed up on the scenario before its rounds, and the CPU per request of each step. */
  warmup?: { seconds: number; steady: boolean; cpuUsPerRequest: number[] };
  /** Set when the server could not serve the scenario: e.g. "n/a (HTTP 404)". */
  unavailable?: string;
}

export interface ScenarioRuns {
  id: string;
  title: string;
  /** Did the probe get the same body (and Link header) from both servers? undefined: not comparable. */
  sameBody?: boolean;
  app: SideRuns;
  base: SideRuns;
  /** W1h: what the receiver and the database saw in each measured APP round. */
  webhookRounds?: W1hRound[];
}

export interface SizeRuns {
  size: string;
  listings: number;
  prices: number;
  tokenSource: string;
  scenarios: ScenarioRuns[];
  /** The webhook delivery section and the matching micro-benchmark (absent: not run). */
  delivery?: DeliveryFigures | Unavailable;
  matching?: MatchingResult | Unavailable;
}

export interface SideSummary {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /** The server process's CPU µs per request answered, median of the rounds (absent where /proc is not). */
  cpuUsPerRequest?: number;
  /** Seconds of warm-up on this scenario before the rounds, and whether its CPU per request was steady by then. */
  warmupSec?: number;
  warmupSteady?: boolean;
}

export interface ScenarioSummary {
  size: string;
  id: string;
  title: string;
  sameBody?: boolean;
  app?: SideSummary;
  base?: SideSummary;
  appUnavailable?: string;
  baseUnavailable?: string;
  /** APP req/s divided by BASE req/s, round by round. */
  ratio?: { median: number; min: number; max: number; rounds: number[] };
  /** The scenario's figures against issue 21's budget (bench/lib/budget.ts). */
  budget?: BudgetCheck;
}

export interface Report {
  startedAt: string;
  environment: Record<string, string | number>;
  sizes: { size: string; listings: number; prices: number; tokenSource: string }[];
  scenarios: ScenarioSummary[];
  /** APP at the large size relative to the small one (both sizes measured): >1 for p50 means slower. */
  growth: { id: string; rpsLargeOverSmall: number; p50LargeOverSmall: number }[];
  /** Issue 18's figures, per size, and their targets. */
  webhooks: WebhookSummary[];
  webhookTargets: typeof WEBHOOK_TARGETS;
  jwtVerify?: JwtVerifyResult;
}

/** The budget of issue 21: reads at 0.80, writes at 0.85 (bench/lib/budget.ts). */
export const TARGET_LINES = [0.8, 0.85];

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function summarizeSide(runs: SideRuns): SideSummary | undefined {
  if (runs.unavailable || runs.rounds.length === 0) return undefined;
  return {
    rps: median(runs.rounds.map((r) => r.rps)),
    p50Ms: median(runs.rounds.map((r) => r.p50Ms)),
    p99Ms: median(runs.rounds.map((r) => r.p99Ms)),
    errors: runs.rounds.reduce((sum, r) => sum + r.errors, 0),
    cpuUsPerRequest: optionalMedian(runs.rounds.map((r) => r.cpuUsPerRequest)),
    warmupSec: runs.warmup?.seconds,
    warmupSteady: runs.warmup?.steady,
  };
}

function optionalMedian(values: (number | undefined)[]): number | undefined {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v));
  return known.length === 0 ? undefined : median(known);
}

export function summarize(startedAt: string, environment: Report['environment'], sizes: SizeRuns[], jwtVerify?: JwtVerifyResult): Report {
  const scenarios: ScenarioSummary[] = [];
  for (const size of sizes) {
    for (const s of size.scenarios) {
      const summary: ScenarioSummary = { size: size.size, id: s.id, title: s.title, sameBody: s.sameBody, app: summarizeSide(s.app), base: summarizeSide(s.base) };
      if (s.app.unavailable) summary.appUnavailable = s.app.unavailable;
      if (s.base.unavailable) summary.baseUnavailable = s.base.unavailable;
      if (summary.app && summary.base) {
        // Rounds are paired (APP and BASE measured back to back), so the ratio is taken per round.
        const rounds = s.app.rounds.map((a, i) => (s.base.rounds[i] && s.base.rounds[i].rps > 0 ? a.rps / s.base.rounds[i].rps : NaN)).filter(Number.isFinite);
        if (rounds.length > 0) summary.ratio = { median: median(rounds), min: Math.min(...rounds), max: Math.max(...rounds), rounds };
        summary.budget = checkBudget(s.id, { rpsRatio: summary.ratio?.median, app: summary.app, base: summary.base });
      }
      scenarios.push(summary);
    }
  }
  const growth: Report['growth'] = [];
  for (const small of scenarios.filter((s) => s.size === 'small' && s.app)) {
    const large = scenarios.find((s) => s.size === 'large' && s.id === small.id);
    if (small.app && large?.app) growth.push({ id: small.id, rpsLargeOverSmall: large.app.rps / small.app.rps, p50LargeOverSmall: large.app.p50Ms / small.app.p50Ms });
  }
  const webhooks: WebhookSummary[] = [];
  for (const size of sizes) {
    const summary: WebhookSummary = { size: size.size, delivery: size.delivery, matching: size.matching };
    const w1h = size.scenarios.find((s) => s.id === 'W1h');
    if (w1h) {
      const ratio = (id: string) => scenarios.find((s) => s.size === size.size && s.id === id)?.ratio?.median;
      summary.w1h = { ratio: ratio('W1h'), w1Ratio: ratio('W1'), rounds: w1h.webhookRounds ?? [], unavailable: w1h.app.unavailable };
    }
    if (summary.w1h || summary.delivery || summary.matching) webhooks.push(summary);
  }
  return {
    startedAt,
    environment,
    sizes: sizes.map(({ size, listings, prices, tokenSource }) => ({ size, listings, prices, tokenSource })),
    scenarios,
    growth,
    webhooks,
    webhookTargets: WEBHOOK_TARGETS,
    jwtVerify,
  };
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? '' : n.toFixed(digits));

function markdown(report: Report): string {
  const lines = [
    '# Listing API load benchmark: APP (NestJS service) vs BASE (node:http + pg)',
    '',
    `Run ${report.startedAt}. ${Object.entries(report.environment).map(([k, v]) => `${k}: ${v}`).join('; ')}.`,
    '',
    `Data: ${report.sizes.map((s) => `${s.size} = ${s.listings} listings / ${s.prices} prices (token: ${s.tokenSource})`).join('; ')}.`,
    '',
    'Req/s counts 2xx/3xx responses only; p50/p99 in ms; medians over the rounds. APP/BASE is the ratio of req/s per round: median (min–max).',
    "CPU is the server process's user + system CPU time during a run divided by the requests it answered (µs, median of the rounds; from /proc).",
    'Before its rounds, each server ran each scenario until its CPU per request was steady (5 s steps, two in a row within 5 %; warmupMaxSec at most); each warm-up is in latest.json.',
    '',
    'Budget (issue 21): reads ≥ 0.80 in req/s with APP CPU ≤ 1.25× BASE, writes ≥ 0.85, p99 ≤ 1.5× BASE everywhere; each miss is named.',
    '',
    '| Size | Scenario | APP req/s | APP p50 | APP p99 | APP CPU | BASE req/s | BASE p50 | BASE p99 | BASE CPU | APP/BASE | CPU APP/BASE | Budget | Same body |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|',
  ];
  for (const s of report.scenarios) {
    const side = (x: SideSummary | undefined, unavailable: string | undefined) =>
      x ? `${fmt(x.rps)}${x.errors > 0 ? ` (${x.errors} errors)` : ''} | ${fmt(x.p50Ms, 2)} | ${fmt(x.p99Ms, 2)} | ${fmt(x.cpuUsPerRequest)}` : `${unavailable ?? 'n/a'} | | | `;
    const cpuRatio = s.app?.cpuUsPerRequest && s.base?.cpuUsPerRequest ? fmt(s.app.cpuUsPerRequest / s.base.cpuUsPerRequest, 2) : '';
    const ratio = s.ratio ? `${fmt(s.ratio.median, 2)} (${fmt(s.ratio.min, 2)}–${fmt(s.ratio.max, 2)})` : 'n/a';
    const same = s.sameBody === undefined ? '' : s.sameBody ? 'yes' : '**no**';
    lines.push(`| ${s.size} | ${s.id} ${s.title.replace(/\|/g, '\\|')} | ${side(s.app, s.appUnavailable)} | ${side(s.base, s.baseUnavailable)} | ${ratio} | ${cpuRatio} | ${budgetText(s.budget)} | ${same} |`);
  }
  if (report.growth.length > 0) {
    lines.push('', '## APP, large vs small data', '', '| Scenario | req/s large/small | p50 large/small |', '|---|---:|---:|');
    for (const g of report.growth) lines.push(`| ${g.id} | ${fmt(g.rpsLargeOverSmall, 2)} | ${fmt(g.p50LargeOverSmall, 2)} |`);
  }
  lines.push(...webhookMarkdown(report.webhooks));
  if (report.jwtVerify) {
    const j = report.jwtVerify;
    lines.push('', '## HS256 verify (jsonwebtoken)', '', '| Secret | µs per verify |', '|---|---:|');
    lines.push(`| crypto KeyObject | ${fmt(j.keyObjectMicros, 1)} |`, `| string | ${fmt(j.stringMicros, 1)} |`, '', `A string secret is ${fmt(j.slowdown, 1)}x slower.`);
    if (j.passportMicros !== undefined) lines.push('', `The service's JwtStrategy through passport-jwt (KeyObject, claims checked, no database): ${fmt(j.passportMicros, 1)} µs per request.`);
    if (j.apiKeyMicros !== undefined) lines.push('', `An API key's check (prefix, shape, SHA-256, scope; no database): ${fmt(j.apiKeyMicros, 1)} µs per request (target ≤ 15 µs).`);
  }
  return `${lines.join('\n')}\n`;
}

const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A bar per (size, scenario): the median APP/BASE ratio, a whisker for min–max, dashed target lines. */
function svg(report: Report): string {
  const bars = report.scenarios.filter((s) => s.ratio);
  const width = Math.max(420, 80 + bars.length * 56);
  const height = 320;
  const top = 30;
  const bottom = 250;
  const left = 50;
  const yMax = Math.max(1.2, ...bars.map((b) => b.ratio?.max ?? 0));
  const y = (v: number) => bottom - (v / yMax) * (bottom - top);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${left}" y="18" font-size="13">APP/BASE throughput ratio (median, min–max over rounds)</text>`,
    `<line x1="${left}" y1="${bottom}" x2="${width - 10}" y2="${bottom}" stroke="black"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="black"/>`,
  ];
  for (let tick = 0; tick <= yMax + 1e-9; tick += 0.2) {
    parts.push(`<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end">${tick.toFixed(1)}</text>`);
  }
  for (const target of TARGET_LINES) {
    parts.push(
      `<line x1="${left}" y1="${y(target)}" x2="${width - 10}" y2="${y(target)}" stroke="#c00" stroke-dasharray="6 4"/>`,
      `<text x="${width - 12}" y="${y(target) - 3}" text-anchor="end" fill="#c00">${target.toFixed(2)}</text>`,
    );
  }
  bars.forEach((b, i) => {
    const r = b.ratio!;
    const x = left + 16 + i * 56;
    const color = r.median >= TARGET_LINES[1] ? '#2a7' : r.median >= TARGET_LINES[0] ? '#e90' : '#d44';
    parts.push(
      `<rect x="${x}" y="${y(r.median)}" width="36" height="${bottom - y(r.median)}" fill="${color}"/>`,
      `<line x1="${x + 18}" y1="${y(r.min)}" x2="${x + 18}" y2="${y(r.max)}" stroke="black"/>`,
      `<text x="${x + 18}" y="${y(r.median) - 4}" text-anchor="middle">${r.median.toFixed(2)}</text>`,
      `<text x="${x + 18}" y="${bottom + 14}" text-anchor="middle">${escapeXml(b.id)}</text>`,
      `<text x="${x + 18}" y="${bottom + 28}" text-anchor="middle" fill="#555">${escapeXml(b.size)}</text>`,
    );
  });
  if (bars.length === 0) parts.push(`<text x="${left + 10}" y="${(top + bottom) / 2}">no scenario measured on both servers</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

export function writeReport(report: Report, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = [path.join(dir, 'latest.json'), path.join(dir, 'latest.md'), path.join(dir, 'ratios.svg')];
  writeFileSync(files[0], `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files[1], markdown(report));
  writeFileSync(files[2], svg(report));
  return files;
}
