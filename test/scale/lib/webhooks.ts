/**
 * Webhook delivery across instances: one subscription to every event of the run's listings, made before the
 * load, and after it (one instance stopped, one killed meanwhile) every change of the feed that the
 * subscription should get must have reached the receiver at least once, signed, never two attempts of one
 * event at the same time, and again when the sender went away before the answer (the killed instance's
 * attempts, which expire and are run again); and the delivery log must show one delivery per event, succeeded.
 */
import type { Check } from './checks';
import { countBy, percentile } from './checks';
import { type Answer, HttpClient, json, nextPage } from './http';
import { sleep } from './supervisor';
import { type FeedEvent, readChangeFeed } from './sync';
import { listingBody } from './traffic';
import type { WebhookSink } from './webhook-sink';

export interface Subscription {
  id: number;
  token: string;
  /** Epoch ms: changes before it are not for the subscription. */
  createdAt: number;
  filter: Record<string, string>;
}

interface Delivery {
  event_id: string;
  status: string;
  attempts: number;
}

const PASSWORD = 'scale webhook password';

/** An account of its own (from its own address), subscribed to every event of listings where the load writes them. */
export async function subscribe(nginxUrl: string, runId: string, sink: WebhookSink): Promise<{ subscription?: Subscription; problem?: string }> {
  const client = new HttpClient(nginxUrl, '127.0.202.1');
  try {
    const email = `webhooks-${runId}@example.test`;
    await client.request('POST', '/auth/register', { body: { email, password: PASSWORD } });
    const login = await client.request('POST', '/auth/login', { body: { email, password: PASSWORD } });
    const token = json<{ access_token: string }>(login)?.access_token;
    if (!token) return { problem: `could not sign in: ${login.status} ${login.body.slice(0, 200)}` };
    // Every listing of the load is at this address: the filter is exercised, and matches them all.
    const { city, postal_code } = listingBody('', 0).postal_address;
    const filter = { city, postal_code };
    const created = await client.request('POST', '/webhooks', { token, body: { url: sink.url, events: ['*'], filter, description: `scale test ${runId}` } });
    const body = json<{ id: number; secret: string; created_date: string }>(created);
    if (created.status !== 201 || !body?.secret) return { problem: `POST /webhooks: ${created.status} ${created.body.slice(0, 300)}` };
    sink.verifyWith(body.secret);
    return { subscription: { id: body.id, token, createdAt: Date.parse(body.created_date), filter } };
  } finally {
    client.close();
  }
}

export interface WebhookJudgement {
  sink: WebhookSink;
  subscription?: Subscription;
  problem?: string;
  nginxUrl: string;
  /** Listings 1..seeded were inserted by SQL (no events): the run's own are above. */
  seeded: number;
  /** Process id -> instance (app1#1, app2#2, …), for the per-instance counts. */
  instances: Map<number, string>;
  timeoutMs: number;
  /** The settings the instances run with, for the first detail line. */
  settings: string;
}

/** Waits (bounded) until every expected event arrived and the log has settled, then judges. */
export async function judgeWebhookDeliveries(o: WebhookJudgement): Promise<Check> {
  const name = 'webhook deliveries across instances (every change of the run at least once, signed, never two attempts of one event at once, one logged delivery per event)';
  if (!o.subscription) return { name, ok: false, detail: [`no subscription: ${o.problem}`] };
  const subscription = o.subscription;
  const client = new HttpClient(o.nginxUrl, '127.0.202.2');
  const problems: string[] = [];
  try {
    const started = Date.now();
    const feed = await readChangeFeed(client);
    if (feed.problem) problems.push(feed.problem);
    // A "*" subscription gets each change as the feed names it: evt_<sequence>_<type>.
    const expected = feed.events.filter((e) => e.listing_id > o.seeded && Date.parse(e.at) >= subscription.createdAt);
    const expectedIds = new Set(expected.map((e) => `evt_${e.sequence}_${e.type}`));
    const arrived = () => new Set(o.sink.arrivals.filter((a) => a.verified).map((a) => a.id));
    let log: { deliveries: Delivery[]; problem?: string } = { deliveries: [] };
    const settled = () => log.deliveries.length > 0 && !log.problem && log.deliveries.every((d) => d.status === 'succeeded' || d.status === 'dead');
    let waitedMs = 0;
    for (;;) {
      const have = arrived();
      const complete = [...expectedIds].every((id) => have.has(id));
      if (complete) log = await readDeliveryLog(client, subscription);
      waitedMs = Date.now() - started;
      if ((complete && (expectedIds.size === 0 || settled())) || waitedMs >= o.timeoutMs) break;
      await sleep(complete ? 1000 : 500);
    }
    if (log.deliveries.length === 0) log = await readDeliveryLog(client, subscription);
    if (log.problem) problems.push(log.problem);
    await o.sink.settled();
    return { name, ...describe(o, subscription, expected, expectedIds, log.deliveries, waitedMs, problems) };
  } finally {
    client.close();
  }
}

function describe(o: WebhookJudgement, subscription: Subscription, expected: FeedEvent[], expectedIds: Set<string>, log: Delivery[], waitedMs: number, problems: string[]): { ok: boolean; detail: string[] } {
  const arrivals = o.sink.arrivals;
  const verified = arrivals.filter((a) => a.verified);
  const firstArrival = new Map<string, (typeof arrivals)[number]>();
  for (const arrival of verified) if (!firstArrival.has(arrival.id)) firstArrival.set(arrival.id, arrival);
  const missing = [...expectedIds].filter((id) => !firstArrival.has(id));
  const unexpected = [...new Set(arrivals.map((a) => a.id))].filter((id) => !expectedIds.has(id));
  const unverified = arrivals.filter((a) => !a.verified);
  const overlapped = [...new Set(arrivals.filter((a) => a.overlapped).map((a) => a.id))];
  const perId = countBy(arrivals.map((a) => a.id));
  const repeated = Object.values(perId).filter((n) => n > 1);
  const latencies = [...firstArrival.values()].filter((a) => expectedIds.has(a.id) && !Number.isNaN(a.eventAt)).map((a) => a.at - a.eventAt).sort((a, b) => a - b);
  // A request the sender never saw answered must have come again, answered (at least once).
  const cut = [...new Set(arrivals.filter((a) => a.cut).map((a) => a.id))];
  const notRedelivered = cut.filter((id) => !arrivals.some((a) => a.id === id && !a.cut && a.verified));
  const bySender = countBy(arrivals.map((a) => o.instances.get(o.sink.senderOf(a) ?? -1) ?? 'unknown'));

  const loggedIds = countBy(log.map((d) => d.event_id));
  const loggedTwice = Object.entries(loggedIds).filter(([, n]) => n > 1).map(([id]) => id);
  const notLogged = [...expectedIds].filter((id) => !loggedIds[id]);
  const loggedUnexpected = Object.keys(loggedIds).filter((id) => !expectedIds.has(id));
  const statuses = countBy(log.map((d) => d.status));
  const retried = log.filter((d) => d.attempts > 1).length;

  const types = countBy(expected.map((e) => e.type));
  const filter = Object.entries(subscription.filter).map(([key, value]) => `${key}=${value}`).join(' ');
  const detail = [
    `subscription #${subscription.id}: events ["*"], filter ${filter}, to ${o.sink.url} (${o.settings})`,
    `change feed via nginx: ${expected.length} events of the run's listings since the subscription ${JSON.stringify(types)}; ${missing.length === 0 ? 'all' : `${expected.length - missing.length} of them`} received ${(waitedMs / 1000).toFixed(1)} s after the checks began waiting (bound ${o.timeoutMs / 1000} s)`,
    `receiver: ${arrivals.length} requests, ${Object.keys(perId).length} webhook-ids; verified by standardwebhooks: ${verified.length} of ${arrivals.length}; ids received more than once: ${repeated.length} (${repeated.reduce((n, k) => n + k - 1, 0)} extra requests); received while another attempt of the same id was in flight: ${overlapped.length}; ids not expected: ${unexpected.length}`,
    `requests whose sender went away before the answer (the SIGKILL, or a timeout): ${cut.length} webhook-ids, delivered again and answered: ${cut.length - notRedelivered.length}`,
    `event to delivery (arrival − body.timestamp, first arrival): p50 ${fmt(percentile(latencies, 50))} ms, p99 ${fmt(percentile(latencies, 99))} ms, max ${fmt(latencies[latencies.length - 1])} ms; later than 5 s: ${latencies.filter((ms) => ms > 5000).length} (a killed instance's job waits for its expiry)`,
    `sent by (the connection's process, from ss): ${Object.entries(bySender).sort().map(([who, n]) => `${who} ${n}`).join(', ')}`,
    `delivery log via nginx: ${log.length} deliveries for ${expectedIds.size} events; ${JSON.stringify(statuses)}; more than one attempt: ${retried}; logged twice: ${loggedTwice.length}, not logged: ${notLogged.length}, not expected: ${loggedUnexpected.length}`,
  ];
  if (missing.length > 0) problems.push(`never received (verified): ${missing.slice(0, 10).join(' ')}${missing.length > 10 ? ` … and ${missing.length - 10} more` : ''}`);
  if (unverified.length > 0) problems.push(`failed verification: ${unverified.slice(0, 5).map((a) => a.id).join(' ')}`);
  if (overlapped.length > 0) problems.push(`two attempts at once: ${overlapped.slice(0, 10).join(' ')}`);
  if (notRedelivered.length > 0) problems.push(`cut off and never delivered again: ${notRedelivered.slice(0, 10).join(' ')}`);
  if (unexpected.length > 0) problems.push(`not expected: ${unexpected.slice(0, 10).join(' ')}`);
  for (const [what, ids] of [['logged twice', loggedTwice], ['not logged', notLogged], ['logged, not expected', loggedUnexpected]] as const) {
    if (ids.length > 0) problems.push(`${what}: ${ids.slice(0, 10).join(' ')}`);
  }
  const unsettled = log.filter((d) => d.status !== 'succeeded');
  if (unsettled.length > 0) problems.push(`not succeeded in the log: ${unsettled.slice(0, 10).map((d) => `${d.event_id} ${d.status} (${d.attempts} attempts)`).join(', ')}`);
  const ok = expected.length > 0 && problems.length === 0;
  if (expected.length === 0) problems.push('the feed has no event of the run: nothing was tested');
  return { ok, detail: [...detail, ...problems] };
}

/** GET /webhooks/{id}/deliveries, every page. */
async function readDeliveryLog(client: HttpClient, subscription: Subscription): Promise<{ deliveries: Delivery[]; problem?: string }> {
  const deliveries: Delivery[] = [];
  let path = `/webhooks/${subscription.id}/deliveries?limit=200`;
  for (let pages = 0; pages < 1000; pages++) {
    const page: Answer = await client.request('GET', path, { token: subscription.token });
    const got = json<Delivery[]>(page);
    if (page.status !== 200 || !got) return { deliveries, problem: `delivery log page ${pages + 1}: ${page.status} ${page.body.slice(0, 200)}` };
    deliveries.push(...got);
    const next = nextPage(page);
    if (got.length === 0 || !next) break;
    path = next;
  }
  return { deliveries };
}

const fmt = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(0));
