/**
 * The webhook figures of issue 18 that need the running service: W1h (W1 with 100 saved-search subscriptions
 * delivering to the receiver) and the delivery section (throughput from a queue of deliveries, and the latency
 * from a listing write to its delivery at a steady 100 events/s). Numbers only; nothing here asserts a speed.
 */
import { Client } from 'pg';
import type { PutItem } from './load';
import type { Unavailable } from './webhook-report';
import { type SavedSearch, deliveryCounts, insertSubscriptions, loadCities, removeBenchSubscriptions, removeWebhookTraces, savedSearches, waitForQueueIdle } from './subscriptions';
import type { WebhookReceiver } from './webhook-receiver';

/** A running instance of the service that sends deliveries (WEBHOOK_WORKER=true), stopped when no longer wanted. */
export interface Worker {
  stop(): Promise<void>;
}
export type StartWorker = () => Promise<Worker>;

/** Set up before each of APP's runs of a scenario, torn down after it; `after` says what happened meanwhile. */
export interface AppSession {
  before(): Promise<void>;
  after(): Promise<W1hRound>;
}

/** One APP run of W1h, as the receiver and the database saw it. */
export interface W1hRound {
  /** Deliveries that reached the receiver while the load ran (none: no worker runs then). */
  received: number;
  /** The TLS connections the worker sent over. */
  connections: number;
  /** Deliveries the relay had created by the end of the run, and how many of those were not delivered yet. */
  created: number;
  backlog: number;
  /** Deliveries the receiver had after the worker, started once the run was over, had sent them; and how long that took (s). */
  delivered: number;
  drainSec: number;
  /** Whether the queue had emptied (after the subscriptions were removed) before the next measurement. */
  queueIdle: boolean;
  /** The run's PUTs (set by the runner from the load tool's count). */
  writes?: number;
  /** CPU time the webhook worker process used during the run (set by the runner; Linux only). */
  workerCpuSec?: number;
}

export const W1H_SUBSCRIPTIONS = 100;
/** The same searches in every round and every run. */
const W1H_SEED = 18;

/**
 * W1h's session: before each APP run, W1H_SUBSCRIPTIONS active subscriptions of owner1 with saved-search
 * filters, each to its own path of the receiver. During the run the API instance writes and relays (matches each
 * event and creates its deliveries and their jobs, in the database); no worker runs, as if the workers were on
 * hosts of their own. After it, the counts; then a worker starts and sends the deliveries, the subscriptions are
 * removed and the queue is left to empty, so that BASE's run (and the next scenario) does not share the CPU with
 * APP's leftover deliveries.
 */
export function w1hSession(o: { databaseUrl: string; ownerId: number; receiver: WebhookReceiver; drainTimeoutMs: number; startWorker: StartWorker }): AppSession {
  let searches: SavedSearch[] | undefined;
  let client: Client | undefined;
  let ids: number[] = [];
  return {
    async before() {
      client = new Client({ connectionString: o.databaseUrl });
      await client.connect();
      searches ??= savedSearches(W1H_SUBSCRIPTIONS, await loadCities(client), W1H_SEED);
      await removeBenchSubscriptions(client);
      await o.receiver.reset();
      ids = await insertSubscriptions(client, o.ownerId, searches, (i) => o.receiver.url(`w1h-${i}`), 'W1h saved search');
    },
    async after() {
      if (!client) throw new Error('W1h: after() without before()');
      try {
        const { deliveries } = await o.receiver.stats();
        const { created, succeeded } = await deliveryCounts(client, ids);
        const drainStart = Date.now();
        const worker = await o.startWorker();
        let idle: boolean;
        let delivered = 0;
        let connections = 0;
        try {
          ({ deliveries: delivered, connections } = await o.receiver.waitFor((stats) => stats.deliveries >= created, o.drainTimeoutMs).catch(() => o.receiver.stats()));
          await removeBenchSubscriptions(client);
          ({ idle } = await waitForQueueIdle(client, o.drainTimeoutMs));
        } finally {
          await worker.stop();
        }
        return {
          received: deliveries,
          connections,
          created,
          backlog: created - succeeded,
          delivered,
          drainSec: (Date.now() - drainStart) / 1000,
          queueIdle: idle,
        };
      } finally {
        await client.end();
        client = undefined;
      }
    },
  };
}

export interface DeliveryFigures {
  /** The burst: events written, their rate, deliveries counted after the release and their rate. */
  burst: { events: number; eventsPerSec: number; held: number; releasedEarly: boolean; deliveries: number; drained: number; deliveriesPerSec: number };
  /** The steady run: events written at `targetRate`, deliveries that arrived, latency percentiles in ms. */
  paced: { events: number; targetRate: number; eventsPerSec: number; deliveries: number; p50Ms: number; p99Ms: number; maxMs: number };
}

export interface DeliveryOptions {
  appUrl: string;
  token: string;
  items: PutItem[];
  receiver: WebhookReceiver;
  burstEvents: number;
  burstConcurrency: number;
  pacedRate: number;
  pacedSeconds: number;
  drainTimeoutMs: number;
  log: (line: string) => void;
}

/** Longest hold of the receiver's answers: below the service's 10 s attempt timeout, so no attempt fails. */
const MAX_HOLD_MS = 6_000;

/**
 * One subscription (events ["*"], no filter) created through the API, then:
 * - burst: the receiver holds its answers while `burstEvents` PUTs with a price change are written, so the
 *   deliveries queue up; then it answers, and the rate is the deliveries that arrive after the release over
 *   the time from the release to the last one (the service draining its queue, nothing else running);
 * - paced: `pacedRate` PUTs a second for `pacedSeconds`, each sent on schedule whatever the previous did;
 *   latency = the delivery's arrival at the receiver minus its body's `timestamp` (the listing write's time).
 */
export async function measureDeliveries(o: DeliveryOptions): Promise<DeliveryFigures> {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${o.token}` };
  const created = await fetch(`${o.appUrl}/webhooks`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ url: o.receiver.url('all'), events: ['*'], description: 'listing-bench: delivery throughput and latency' }),
    signal: AbortSignal.timeout(10_000),
  });
  const subscription = (await created.json().catch(() => ({}))) as { id?: number; message?: string };
  if (created.status !== 201 || typeof subscription.id !== 'number') throw new Error(`POST /webhooks answered ${created.status}: ${subscription.message ?? ''}`);

  // The previous scenario's last writes may still be committing: were they later than the subscription, they
  // would be delivered too. Let them pass before counting.
  await new Promise((resolve) => setTimeout(resolve, 1_000));

  // Prices above W1's range, a new one per write: every PUT is a price change.
  let nextPrice = 3_000_001;
  let nextItem = 0;
  const put = async (): Promise<boolean> => {
    const item = o.items[nextItem++ % o.items.length];
    try {
      const response = await fetch(`${o.appUrl}${item.path}`, { method: 'PUT', headers, body: `${item.before}${nextPrice++}${item.after}`, signal: AbortSignal.timeout(30_000) });
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    }
  };

  try {
    // ---- burst
    await o.receiver.reset();
    await o.receiver.hold();
    let release: Promise<{ releasedMs: number; held: number }> | undefined;
    const releaseOnce = () => (release ??= o.receiver.release());
    const cap = setTimeout(() => void releaseOnce(), MAX_HOLD_MS);
    const burstStart = performance.now();
    let written = 0;
    let sent = 0;
    await Promise.all(
      Array.from({ length: o.burstConcurrency }, async () => {
        while (sent < o.burstEvents) {
          sent += 1;
          if (await put()) written += 1;
        }
      }),
    );
    const burstSeconds = (performance.now() - burstStart) / 1000;
    const releasedEarly = release !== undefined;
    clearTimeout(cap);
    const { releasedMs, held } = await releaseOnce();
    const burstStats = await o.receiver.waitFor((s) => s.deliveries >= written, o.drainTimeoutMs);
    const after = (await o.receiver.stats({ afterMs: releasedMs })).after ?? { count: 0 };
    const drainSeconds = after.lastMs === undefined ? NaN : (after.lastMs - releasedMs) / 1000;
    const burst = {
      events: written,
      eventsPerSec: written / burstSeconds,
      held,
      releasedEarly,
      deliveries: burstStats.deliveries,
      drained: after.count,
      deliveriesPerSec: after.count / drainSeconds,
    };
    if (burstStats.deliveries < written) o.log(`  burst: only ${burstStats.deliveries} of ${written} deliveries arrived within ${o.drainTimeoutMs / 1000} s`);

    // ---- paced
    await o.receiver.reset();
    const total = Math.round(o.pacedRate * o.pacedSeconds);
    const pacedStart = performance.now();
    const writes: Promise<boolean>[] = [];
    for (let i = 0; i < total; i++) {
      const wait = pacedStart + (i * 1000) / o.pacedRate - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      writes.push(put());
    }
    const pacedWritten = (await Promise.all(writes)).filter(Boolean).length;
    const pacedSeconds = (performance.now() - pacedStart) / 1000;
    await o.receiver.waitFor((s) => s.deliveries >= pacedWritten, o.drainTimeoutMs);
    const latencies = ((await o.receiver.stats({ latencies: true })).latenciesMs ?? []).sort((a, b) => a - b);
    const at = (q: number) => (latencies.length === 0 ? NaN : latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]);
    if (latencies.length < pacedWritten) o.log(`  paced: only ${latencies.length} of ${pacedWritten} deliveries arrived within ${o.drainTimeoutMs / 1000} s`);
    return {
      burst,
      paced: { events: pacedWritten, targetRate: o.pacedRate, eventsPerSec: pacedWritten / pacedSeconds, deliveries: latencies.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: at(1) },
    };
  } finally {
    await fetch(`${o.appUrl}/webhooks/${subscription.id}`, { method: 'DELETE', headers: { authorization: headers.authorization }, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  }
}

/** The delivery section as the runner runs it (2 000 events and 10 s of pacing; smoke: 200 and 2 s), with its printed lines. */
export async function deliverySection(
  o: Pick<DeliveryOptions, 'appUrl' | 'token' | 'items' | 'receiver' | 'drainTimeoutMs' | 'log'> & { smoke: boolean; startWorker: StartWorker },
): Promise<DeliveryFigures | Unavailable> {
  const burstEvents = o.smoke ? 200 : 2000;
  const pacedSeconds = o.smoke ? 2 : 10;
  o.log(`webhook deliveries: a queue of ${burstEvents}, then 100 events/s for ${pacedSeconds} s (the API instance and a worker)`);
  let worker: Worker | undefined;
  try {
    worker = await o.startWorker();
    const d = await measureDeliveries({ ...o, burstEvents, burstConcurrency: 16, pacedRate: 100, pacedSeconds });
    const { burst, paced } = d;
    o.log(`  burst: ${burst.events} events at ${burst.eventsPerSec.toFixed(0)}/s; ${burst.deliveries} delivered, ${burst.drained} after the release at ${burst.deliveriesPerSec.toFixed(0)} deliveries/s`);
    o.log(
      `  paced: ${paced.events} events at ${paced.eventsPerSec.toFixed(0)}/s; ${paced.deliveries} delivered, ` +
        `latency p50 ${paced.p50Ms.toFixed(1)} ms, p99 ${paced.p99Ms.toFixed(1)} ms, max ${paced.maxMs.toFixed(1)} ms`,
    );
    return d;
  } catch (error) {
    o.log(`  n/a: ${(error as Error).message}`);
    return { unavailable: `n/a (${(error as Error).message})` };
  } finally {
    await worker?.stop();
  }
}

/** Whether this build of the service has webhooks at all (an older one, given with --app-main, may not). */
export async function hasWebhooks(appUrl: string, token: string): Promise<boolean> {
  const response = await fetch(`${appUrl}/webhooks`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  await response?.arrayBuffer();
  return response?.status === 200;
}

/** Before the servers start: what an interrupted run left (subscriptions, queued jobs), so that W1 runs without any. */
export async function clearWebhookLeftovers(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await removeWebhookTraces(client);
  } finally {
    await client.end();
  }
}
