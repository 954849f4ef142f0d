/** The webhook figures of issue 18 beside their targets: one row per figure, for the console and latest.md. */
import type { MatchingResult } from './matching';
import type { SizeRuns } from './report';
import type { DeliveryFigures, W1hRound } from './webhooks';

export const WEBHOOK_TARGETS = {
  /** W1h's APP/BASE at least this… */
  w1hRatio: 0.85,
  /** …and at most this much below W1's. */
  w1hBelowW1: 0.05,
  deliveriesPerSec: 500,
  p50Ms: 100,
  p99Ms: 1000,
  matchMicrosPerEvent: 2000,
};

/** A figure that could not be measured, and why. */
export interface Unavailable {
  unavailable: string;
}

export interface WebhookSummary {
  size: string;
  w1h?: { ratio?: number; w1Ratio?: number; rounds: W1hRound[]; unavailable?: string };
  delivery?: DeliveryFigures | Unavailable;
  matching?: MatchingResult | Unavailable;
}

export interface WebhookRow {
  size: string;
  figure: string;
  measured: string;
  target: string;
  /** undefined: no target, or nothing measured. */
  met?: boolean;
}

const fmt = (n: number | undefined, digits = 0) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(digits));
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function webhookRows(summaries: WebhookSummary[]): WebhookRow[] {
  const t = WEBHOOK_TARGETS;
  const rows: WebhookRow[] = [];
  for (const s of summaries) {
    const row = (figure: string, measured: string, target = '', met?: boolean) => rows.push({ size: s.size, figure, measured, target, met });
    if (s.w1h) {
      const { ratio, w1Ratio, rounds, unavailable } = s.w1h;
      if (unavailable) row('W1h APP/BASE', unavailable, `≥ ${t.w1hRatio}`);
      else {
        row('W1h APP/BASE (median of rounds)', fmt(ratio, 2), `≥ ${t.w1hRatio}`, ratio === undefined ? undefined : ratio >= t.w1hRatio);
        const drop = ratio !== undefined && w1Ratio !== undefined ? ratio - w1Ratio : undefined;
        row('W1h − W1 (APP/BASE)', drop === undefined ? 'n/a (W1 not measured)' : fmt(drop, 2), `≥ −${t.w1hBelowW1}`, drop === undefined ? undefined : drop >= -t.w1hBelowW1);
        if (rounds.length > 0) {
          const relayed = rounds.map((r) => `${r.created} created (${r.backlog} not sent yet, ${r.received} sent)`).join('; ');
          row('W1h deliveries the API instance created during each run (no worker running)', relayed);
          const sent = rounds
            .map((r) => `${r.delivered} in ${fmt(r.drainSec, 1)} s (${fmt(r.delivered / r.drainSec)}/s)${r.queueIdle ? '' : ', queue not empty before the next run'}`)
            .join('; ');
          row('W1h deliveries the worker sent after each run, from its start', sent);
          const writes = sum(rounds.map((r) => r.writes ?? 0));
          if (writes > 0) row('W1h deliveries created per write (how selective the searches were)', fmt(sum(rounds.map((r) => r.created)) / writes, 2));
        }
      }
    }
    if (s.delivery) {
      if ('unavailable' in s.delivery) row('Delivery section', s.delivery.unavailable);
      else {
        const { burst, paced } = s.delivery;
        row(
          `Delivery throughput (a queue of ${burst.events} deliveries, 1 subscription)`,
          `${fmt(burst.deliveriesPerSec)}/s (${burst.drained} after the release${burst.releasedEarly ? ', released before the burst ended' : ''}; burst written at ${fmt(burst.eventsPerSec)} events/s)`,
          `≥ ${t.deliveriesPerSec}/s`,
          Number.isFinite(burst.deliveriesPerSec) ? burst.deliveriesPerSec >= t.deliveriesPerSec : undefined,
        );
        const at = `${paced.deliveries}/${paced.events} delivered, ${fmt(paced.eventsPerSec)} events/s`;
        row(`Write → delivery latency at ${paced.targetRate} events/s, p50 (${at})`, `${fmt(paced.p50Ms, 1)} ms`, `≤ ${t.p50Ms} ms`, Number.isFinite(paced.p50Ms) ? paced.p50Ms <= t.p50Ms : undefined);
        row(`Write → delivery latency at ${paced.targetRate} events/s, p99 (max ${fmt(paced.maxMs, 1)} ms)`, `${fmt(paced.p99Ms, 1)} ms`, `≤ ${t.p99Ms} ms`, Number.isFinite(paced.p99Ms) ? paced.p99Ms <= t.p99Ms : undefined);
      }
    }
    if (s.matching) {
      if ('unavailable' in s.matching) row('matchAll micro-benchmark', s.matching.unavailable);
      else {
        const m = s.matching;
        row(
          `matchAll, ${m.subscriptions} subscriptions (${m.calls} × ${m.eventsPerCall} events, ${fmt(m.deliveriesPerEvent, 1)} deliveries per event)`,
          `${fmt(m.microsPerEvent)} µs per event`,
          `≤ ${t.matchMicrosPerEvent} µs`,
          m.microsPerEvent <= t.matchMicrosPerEvent,
        );
      }
    }
  }
  return rows;
}

export function webhookMarkdown(summaries: WebhookSummary[]): string[] {
  const rows = webhookRows(summaries);
  if (rows.length === 0) return [];
  const lines = [
    '',
    '## Webhooks (issue 18)',
    '',
    'W1h is W1 with 100 saved-search subscriptions on APP (BASE runs W1). Deliveries go over HTTPS to a receiver on 127.0.0.1 that answers 204 at once.',
    '',
    '| Size | Figure | Measured | Target | Met |',
    '|---|---|---|---|---|',
  ];
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  for (const r of rows) lines.push(`| ${r.size} | ${escape(r.figure)} | ${escape(r.measured)} | ${r.target} | ${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} |`);
  return lines;
}

/** What a smoke run requires of the webhook figures: that they were measured and deliveries arrived, never a speed. */
export function webhookSmokeProblems(size: SizeRuns): string[] {
  const problems: string[] = [];
  const w1h = size.scenarios.find((s) => s.id === 'W1h');
  const rounds = w1h?.webhookRounds ?? [];
  if (w1h && !w1h.app.unavailable && rounds.length > 0 && rounds.every((r) => r.delivered === 0)) problems.push('W1h APP: no webhook delivery arrived at the receiver');
  const d = size.delivery;
  if (d && 'unavailable' in d) problems.push(`webhook delivery section: ${d.unavailable}`);
  else if (d && (d.burst.deliveries === 0 || d.paced.deliveries === 0)) problems.push(`webhook delivery section: ${d.burst.deliveries} + ${d.paced.deliveries} deliveries arrived`);
  const m = size.matching;
  if (m && 'unavailable' in m) problems.push(`matchAll micro-benchmark: ${m.unavailable}`);
  return problems;
}
