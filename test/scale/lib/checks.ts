/**
 * What the scale test asserts, each as a separate check with the figures behind it: acknowledged writes are
 * in the primary, the price history is whole, the login limit is shared, reads reached the replica, nginx
 * kept serving through the kills, and SIGTERM drains and exits cleanly.
 */
import { Client } from 'pg';
import { HttpClient } from './http';
import { AccessLogEntry } from './services';
import { withClient } from './postgres';
import { Sample, TrafficResult } from './traffic';

export interface Check {
  name: string;
  ok: boolean;
  detail: string[];
}

export interface LoginAttempt {
  n: number;
  status: number;
  requestId: string;
}

/** limit + 4 failed logins (distinct unknown emails, so only the per-IP limit applies) from one new address. */
export async function probeLoginLimit(baseUrl: string, runId: string, limit: number): Promise<LoginAttempt[]> {
  const client = new HttpClient(baseUrl, '127.0.200.1');
  const attempts: LoginAttempt[] = [];
  try {
    for (let n = 1; n <= limit + 4; n++) {
      const requestId = `scale-${runId}-login-${n}`;
      const answer = await client.request('POST', '/auth/login', { body: { email: `nobody-${runId}-${n}@example.test`, password: 'wrong-password' }, requestId });
      attempts.push({ n, status: answer.status, requestId });
    }
  } finally {
    client.close();
  }
  return attempts;
}

export function judgeLoginLimit(attempts: LoginAttempt[], limit: number, log: AccessLogEntry[]): Check {
  const upstreamOf = new Map(log.map((entry) => [entry.rid, entry.ua]));
  const within = attempts.filter((a) => a.n <= limit);
  const over = attempts.filter((a) => a.n > limit);
  const early = within.filter((a) => a.status === 429);
  const late = over.filter((a) => a.status !== 429);
  const instances = new Set(attempts.map((a) => upstreamOf.get(a.requestId)).filter(Boolean));
  const overInstances = new Set(over.map((a) => upstreamOf.get(a.requestId)).filter(Boolean));
  const detail = [
    `statuses 1..${attempts.length}: ${attempts.map((a) => a.status).join(' ')}`,
    `answered by ${instances.size} instance(s): ${[...instances].join(' | ')}; the 429s expected from attempt ${limit + 1} by ${[...overInstances].join(' | ')}`,
  ];
  if (early.length > 0) detail.push(`429 before the limit (attempt ${early[0].n}): the client address is not read from X-Forwarded-For (TRUST_PROXY)?`);
  if (late.length > 0) detail.push(`${late.length} attempt(s) over the limit not refused: counters per instance, not shared (REDIS_URL)?`);
  return { name: `login limit shared across instances (AUTH_RATE_LIMIT_PER_IP=${limit}: attempt ${limit + 1} is a 429 on any instance)`, ok: early.length === 0 && late.length === 0 && overInstances.size >= 2, detail };
}

/** Per-server counters of the public reads. */
export interface ReadCounters {
  /** pg_stat_statements calls of SELECTs on listing / listing_price (not FOR UPDATE); undefined without it. */
  statementCalls?: number;
  /** Their total execution time in the server, ms. */
  statementMs?: number;
  xactCommit: number;
  tupReturned: number;
  tableScans: number;
}

const PUBLIC_READ = `query ~* '^\\s*select' AND query ~* 'from\\s+("?public"?\\.)?"?listing(_price)?"?(\\s|$)' AND query !~* 'for\\s+update'`;

export async function readCounters(url: string, statements: boolean): Promise<ReadCounters> {
  return withClient(url, async (client) => {
    const reads = statements
      ? (await client.query<{ calls: string | null; ms: number | null }>(`SELECT sum(calls) AS calls, sum(total_exec_time) AS ms FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND ${PUBLIC_READ}`)).rows[0]
      : undefined;
    const db = (await client.query<{ x: string; t: string }>('SELECT xact_commit AS x, tup_returned AS t FROM pg_stat_database WHERE datname = current_database()')).rows[0];
    const scans = (await client.query<{ s: string | null }>(`SELECT sum(seq_scan + coalesce(idx_scan, 0)) AS s FROM pg_stat_user_tables WHERE relname IN ('listing', 'listing_price')`)).rows[0];
    return { statementCalls: reads ? Number(reads.calls ?? 0) : undefined, statementMs: reads ? Number(reads.ms ?? 0) : undefined, xactCommit: Number(db.x), tupReturned: Number(db.t), tableScans: Number(scans.s ?? 0) };
  });
}

export function judgeReplicaReads(before: { primary: ReadCounters; replica: ReadCounters }, after: { primary: ReadCounters; replica: ReadCounters }, anonymousReads: number): { check: Check; share?: number } {
  const delta = (side: 'primary' | 'replica', key: keyof ReadCounters) => (after[side][key] ?? 0) - (before[side][key] ?? 0);
  const detail = [
    `anonymous reads answered 200 through nginx: ${anonymousReads}`,
    `replica: xact_commit +${delta('replica', 'xactCommit')}, tup_returned +${delta('replica', 'tupReturned')}, scans of listing/listing_price +${delta('replica', 'tableScans')}`,
    `primary: xact_commit +${delta('primary', 'xactCommit')}, tup_returned +${delta('primary', 'tupReturned')}, scans of listing/listing_price +${delta('primary', 'tableScans')}`,
  ];
  if (after.replica.statementCalls === undefined) {
    // Without pg_stat_statements: the replica's own table scans (the test's queries there touch no table).
    const replicaScans = delta('replica', 'tableScans');
    return { check: { name: 'reads reached the replica (table scans on the replica)', ok: replicaScans >= anonymousReads / 2, detail } };
  }
  const onReplica = delta('replica', 'statementCalls');
  const onPrimary = delta('primary', 'statementCalls');
  const share = onReplica + onPrimary > 0 ? onReplica / (onReplica + onPrimary) : 0;
  const perCall = (side: 'primary' | 'replica', calls: number) => (calls > 0 ? `${(delta(side, 'statementMs') / calls).toFixed(3)} ms each` : '-');
  detail.unshift(`public-read statements (pg_stat_statements): replica ${onReplica} (${perCall('replica', onReplica)}), primary ${onPrimary} (${perCall('primary', onPrimary)}): replica share ${(100 * share).toFixed(1)}%`);
  // One listing or price page is one or two statements; anonymous reads are most of them, and go to replicas.
  const ok = onReplica >= anonymousReads / 2 && onPrimary < anonymousReads;
  return { check: { name: 'reads reached the replica (≥ half as many replica read statements as anonymous reads, and the primary did not run them all)', ok, detail }, share };
}

/** Every acknowledged POST is in the primary with its last acknowledged price, and its history is exactly the acknowledged prices. */
export async function verifyWrites(primaryUrl: string, traffic: TrafficResult, runId: string): Promise<Check[]> {
  return withClient(primaryUrl, async (client) => {
    const ids = traffic.listings.map((listing) => listing.id);
    const rows = new Map((await client.query<{ id: number; price: string }>('SELECT id, latest_price_eur::text AS price FROM listing WHERE id = ANY($1::int[])', [ids])).rows.map((row) => [row.id, Number(row.price)]));
    const history = new Map<number, number[]>();
    const entries = await client.query<{ id: number; price: string }>('SELECT listing_id AS id, price_eur::text AS price FROM listing_price WHERE listing_id = ANY($1::int[]) ORDER BY listing_id, created_date, id', [ids]);
    for (const entry of entries.rows) history.set(entry.id, [...(history.get(entry.id) ?? []), Number(entry.price)]);

    const lost: string[] = [];
    const wrongPrice: string[] = [];
    const wrongHistory: string[] = [];
    let acknowledgedChanges = 0;
    let inDoubt = 0;
    for (const listing of traffic.listings) {
      acknowledgedChanges += listing.prices.length - 1;
      if (listing.inDoubt !== undefined) inDoubt++;
      const stored = rows.get(listing.id);
      if (stored === undefined) {
        lost.push(`#${listing.id}`);
        continue;
      }
      const entries = history.get(listing.id) ?? [];
      // A PUT that never got an answer may have been applied: then it is the newest entry, once.
      const expected = [listing.prices, ...(listing.inDoubt === undefined ? [] : [[...listing.prices, listing.inDoubt]])];
      const match = expected.find((prices) => prices.join() === entries.join());
      if (!match) wrongHistory.push(`#${listing.id}: acknowledged ${listing.prices.join(',')}${listing.inDoubt ? ` (+${listing.inDoubt}?)` : ''}, history ${entries.join(',')}`);
      const final = (match ?? listing.prices)[(match ?? listing.prices).length - 1];
      if (stored !== final) wrongPrice.push(`#${listing.id}: latest_price_eur ${stored}, acknowledged ${final}`);
    }

    const ghosts = await client.query<{ id: number; name: string }>("SELECT id, name FROM listing WHERE name LIKE $1 AND NOT (id = ANY($2::int[]))", [`scale-${runId} %`, ids]);
    const unexplained = ghosts.rows.filter((row) => !traffic.unacknowledgedCreates.includes(row.name));
    const invariant = await historyInvariant(client);

    return [
      {
        name: 'no acknowledged write lost (every 2xx POST is in the primary, with its last acknowledged price)',
        ok: lost.length === 0 && wrongPrice.length === 0 && unexplained.length === 0,
        detail: [
          `${traffic.listings.length} acknowledged creates, ${acknowledgedChanges} acknowledged price changes; ${inDoubt} listing(s) with a PUT never answered (either outcome accepted)`,
          `creates without an answer: ${traffic.unacknowledgedCreates.length}, of which stored anyway: ${ghosts.rowCount}; stored but never sent or sent twice: ${unexplained.length}`,
          ...(lost.length ? [`missing: ${lost.slice(0, 10).join(' ')}`] : []),
          ...wrongPrice.slice(0, 10),
          ...unexplained.slice(0, 5).map((row) => `unexplained #${row.id} ${row.name}`),
        ],
      },
      {
        name: 'price history invariant (latest_price_eur = newest entry everywhere; one entry per acknowledged change)',
        ok: wrongHistory.length === 0 && invariant.mismatched === 0 && invariant.withoutEntry === 0,
        detail: [
          `all ${invariant.listings} listings: ${invariant.mismatched} with latest_price_eur ≠ newest entry, ${invariant.withoutEntry} without any entry`,
          `this run's listings: ${traffic.listings.length - wrongHistory.length} of ${traffic.listings.length} have exactly the acknowledged prices as history`,
          ...wrongHistory.slice(0, 10),
        ],
      },
    ];
  });
}

export async function historyInvariant(client: Client): Promise<{ listings: number; mismatched: number; withoutEntry: number }> {
  const { rows } = await client.query<{ listings: string; mismatched: string; without_entry: string }>(`
    SELECT count(*) AS listings,
           count(*) FILTER (WHERE newest.price_eur IS DISTINCT FROM l.latest_price_eur AND newest.price_eur IS NOT NULL) AS mismatched,
           count(*) FILTER (WHERE newest.price_eur IS NULL) AS without_entry
    FROM listing l
    LEFT JOIN LATERAL (SELECT price_eur FROM listing_price p WHERE p.listing_id = l.id ORDER BY created_date DESC, id DESC LIMIT 1) newest ON true`);
  return { listings: Number(rows[0].listings), mismatched: Number(rows[0].mismatched), withoutEntry: Number(rows[0].without_entry) };
}

export interface Kill {
  instance: string;
  signal: NodeJS.Signals;
  atMs: number;
  exit?: string;
  exitMs?: number;
  restartedMs?: number;
}

const failed = (s: Sample) => s.status === 0 || s.status >= 500;

/** nginx kept serving: few failures, only from requests in flight when an instance died. */
export function judgeAvailability(load: Sample[], kills: Kill[], users: number, plannedKills: number): Check {
  const failures = load.filter(failed);
  const idempotent = failures.filter((s) => s.method !== 'POST');
  const ok2xx = load.filter((s) => s.status >= 200 && s.status < 300).length;
  const rate = load.length ? ok2xx / load.length : 0;
  // Each user has at most one request in flight when an instance dies: that bounds what a kill may cost.
  const bound = users * kills.length;
  const detail = [
    `${load.length} requests, ${ok2xx} 2xx (${(100 * rate).toFixed(2)}%); failures (5xx or no answer): ${failures.length} (GET/PUT ${idempotent.length}, POST ${failures.length - idempotent.length}); allowed: ≤ ${bound} (${users} users × ${kills.length} kills) and ≥ 99% 2xx`,
    ...kills.map((kill) => {
      const around = load.filter((s) => s.t >= kill.atMs - 1000 && s.t < kill.atMs + 5000);
      const bad = around.filter((s) => s.status < 200 || s.status >= 300);
      const byStatus = countBy(bad.map((s) => `${s.method} ${s.status || 'no answer'}`));
      return `${kill.signal} ${kill.instance} at ${(kill.atMs / 1000).toFixed(1)} s: ${around.length} requests from −1 s to +5 s, ${bad.length} not 2xx ${JSON.stringify(byStatus)}`;
    }),
  ];
  if (kills.length < plannedKills) detail.push(`only ${kills.length} of ${plannedKills} planned kills happened: the restarted instance was not back before the load ended (try a longer --duration)`);
  return { name: 'nginx kept serving through the kills', ok: failures.length <= bound && rate >= 0.99 && kills.length === plannedKills, detail };
}

export function judgeShutdown(kill: Kill | undefined, shutdownTimeoutMs: number): Check {
  if (!kill) return { name: 'graceful SIGTERM', ok: false, detail: ['no SIGTERM was sent'] };
  const ok = kill.exit === 'exit 0' && (kill.exitMs ?? Infinity) <= shutdownTimeoutMs + 2000;
  const detail = [`${kill.instance}: ${kill.exit} after ${kill.exitMs} ms`];
  if (kill.exit === 'SIGTERM') detail.push('ended by the signal itself, not by exit 0: a handler re-raised it (Nest\'s enableShutdownHooks does, after app.close())');
  return { name: `graceful SIGTERM (exit 0 within SHUTDOWN_TIMEOUT_MS=${shutdownTimeoutMs} ms + 2 s)`, ok, detail };
}

export function countBy(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
