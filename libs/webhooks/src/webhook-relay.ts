import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/common';
import { SqlService, type SqlTransaction } from '@app/database';
import { ChangeFeedService, type FeedPosition, type RelayedEvent } from '@app/listings';
import { DeliveryQueue } from './delivery/delivery-queue';
import { DeliveryWorker } from './delivery/delivery-worker';
import { type SubscriptionInterest, eventId, eventPayload, eventTypeFor } from './webhook-events';
import {
  type InterestRow,
  type NewDelivery,
  initRelayPosition,
  insertDeliveries,
  lockRelayPosition,
  moveRelayPosition,
  selectActiveInterests,
  setDeliveryJobs,
} from './webhook.statements';

const BATCH = 500;

/**
 * Hands the change feed's events to the subscriptions: the transactional outbox's relay. Every listing write
 * records its event in its own transaction (the change feed), so a committed change is never lost, whatever
 * happens to the process after the commit. The relay reads the feed after its stored position, decides which
 * subscriptions each event is for, and in ONE transaction creates those deliveries, enqueues their first
 * attempts (pg-boss, same transaction) and moves its position: each event is handed on exactly once.
 *
 * Every instance runs it every WEBHOOK_DISPATCH_INTERVAL_MS; the position row is locked with SKIP LOCKED, so
 * one instance relays at a time and the others skip the round. Between rounds an instance first asks whether
 * anything came after the position it last saw (one indexed EXISTS), so an idle relay costs one query per round.
 */
@Injectable()
export class WebhookRelay {
  private readonly logger = new Logger('Webhooks');
  private readonly intervalMs: number;
  private timer?: NodeJS.Timeout;
  private running = false;
  private round?: Promise<void>;
  private lastSeen?: FeedPosition;
  private failing = false;

  constructor(
    private readonly sql: SqlService,
    private readonly feed: ChangeFeedService,
    private readonly queue: DeliveryQueue,
    private readonly worker: DeliveryWorker,
    config: AppConfig,
  ) {
    this.intervalMs = config.webhooks.dispatchIntervalMs;
  }

  /**
   * Places the position at the feed's end, once ever: events from before any subscription existed are for
   * nobody. Later calls change nothing. Called at every instance's start and in the transaction that creates a
   * subscription, so that one created before any relay has started (the database was away then) still gets
   * every event after it.
   */
  async placeStartPosition(tx?: SqlTransaction): Promise<void> {
    const place = async (within: SqlTransaction) => {
      const end = await this.feed.end(within);
      await within.query(initRelayPosition(end?.tx ?? '0', end?.sequence ?? '0'));
    };
    await (tx ? place(tx) : this.sql.transaction(place));
  }

  /** Starts the rounds (on worker instances), after placeStartPosition. */
  start(): void {
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.round;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.round = this.runRound().then((more) => this.schedule(more ? 0 : this.intervalMs));
    }, delayMs);
    // A background loop: what keeps the process alive is the HTTP server, never this.
    this.timer.unref();
  }

  /** One round; true when it relayed a full batch (there may be more at once). */
  private async runRound(): Promise<boolean> {
    try {
      if (this.lastSeen && !(await this.feed.hasEventsAfter(this.lastSeen))) return false;
      const { relayed, enqueued } = await this.sql.transaction((tx) => this.relay(tx));
      if (enqueued > 0) this.worker.wake();
      if (this.failing) this.logger.log('webhook relay: working again');
      this.failing = false;
      return relayed === BATCH;
    } catch (error) {
      // The database is away or failing: the events wait in the feed; log once per outage.
      if (!this.failing) this.logger.warn(`webhook relay: ${(error as Error).message} (retrying every ${this.intervalMs} ms)`);
      this.failing = true;
      return false;
    }
  }

  /** Exported for the tests and the benchmark: one relay step in the caller's transaction. */
  async relay(tx: SqlTransaction): Promise<{ relayed: number; enqueued: number }> {
    const [position] = await tx.query<FeedPosition>(lockRelayPosition());
    // Another instance holds it (or it is not there yet): its round, not ours.
    if (!position) return { relayed: 0, enqueued: 0 };
    const interests = (await tx.query<InterestRow>(selectActiveInterests())).map(toInterest);
    if (interests.length === 0) {
      // Nobody to serve: jump to the end instead of reading what no one will get.
      const end = await this.feed.end(tx);
      if (end) await tx.query(moveRelayPosition(end.tx, end.sequence));
      this.lastSeen = end ?? position;
      return { relayed: 0, enqueued: 0 };
    }
    const events = await this.feed.relayBatch(tx, position, BATCH);
    if (events.length === 0) {
      this.lastSeen = position;
      return { relayed: 0, enqueued: 0 };
    }
    const deliveries = await matchInSlices(interests, events);
    let enqueued = 0;
    if (deliveries.length > 0) {
      const created = await tx.query<{ id: string }>(insertDeliveries(deliveries, new Date()));
      const ids = created.map((row) => row.id);
      const jobIds = await this.queue.enqueue(tx, ids);
      if (ids.length > 0) await tx.query(setDeliveryJobs(ids, jobIds));
      enqueued = ids.length;
    }
    const last = events[events.length - 1].position;
    await tx.query(moveRelayPosition(last.tx, last.sequence));
    this.lastSeen = last;
    return { relayed: events.length, enqueued };
  }
}

/**
 * matchAll over slices of the batch, yielding to the event loop between slices (about 50 000 filter checks
 * each, a few milliseconds), so that thousands of subscriptions do not hold up this instance's requests.
 */
async function matchInSlices(interests: (SubscriptionInterest & { id: number })[], events: RelayedEvent[]): Promise<NewDelivery[]> {
  const slice = Math.max(1, Math.floor(50_000 / Math.max(1, interests.length)));
  const deliveries: NewDelivery[] = [];
  for (let start = 0; start < events.length; start += slice) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const delivery of matchAll(interests, events.slice(start, start + slice))) deliveries.push(delivery);
  }
  return deliveries;
}

/** Every (event, subscription) pair that makes a delivery, with its type, id and body. */
export function matchAll(interests: (SubscriptionInterest & { id: number })[], events: RelayedEvent[]): NewDelivery[] {
  const deliveries: NewDelivery[] = [];
  for (const event of events) {
    // One body per (event, type): the same bytes for every subscription that gets it.
    const payloads = new Map<string, string>();
    for (const interest of interests) {
      const type = eventTypeFor(interest, event);
      if (!type) continue;
      let payload = payloads.get(type);
      if (payload === undefined) payloads.set(type, (payload = eventPayload(type, event)));
      deliveries.push({ subscriptionId: interest.id, eventId: eventId(type, event.sequence), eventType: type, payload });
    }
  }
  return deliveries;
}

function toInterest(row: InterestRow): SubscriptionInterest & { id: number } {
  return { id: row.id, events: row.events, filter: row.filter, createdDate: row.created_date };
}
