import { randomUUID } from 'node:crypto';
import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { type AuditOrigin, AuditLog, changesBetween } from '@app/audit';
import { AppConfig, type AuthenticatedUser, type Page, ValidationFailedException, decodeCursor, encodeCursor, isAdmin, isId, toPage } from '@app/common';
import { SqlService, type SqlTransaction } from '@app/database';
import { type DestinationPolicy, webhookUrlProblem } from './delivery/destination';
import { DeliveryQueue } from './delivery/delivery-queue';
import { DeliveryWorker } from './delivery/delivery-worker';
import { newSigningSecret } from './delivery/signing';
import type { WebhookFilter } from './dto/webhook-filter.dto';
import { WEBHOOK_PAGE_DEFAULT, type DeliveryView, type WebhookView, type WebhookWithSecretView, type WebhooksQuery } from './dto/webhook.view';
import type { WebhookCreateDto, WebhookUpdateDto } from './dto/webhook-write.dto';
import { PING_EVENT } from './webhook-events';
import { WebhookRelay } from './webhook-relay';
import {
  type DeliveryRow,
  type SubscriptionRow,
  countOwnerSubscriptions,
  deleteSubscription,
  insertPing,
  insertSubscription,
  lockOwnerSubscriptions,
  lockSubscription,
  requeueDelivery,
  rotateSecret,
  selectDelivery,
  selectDeliveryPage,
  selectSubscription,
  selectSubscriptionPage,
  setDeliveryJobs,
  updateSubscription,
} from './webhook.statements';

/** Not changes the audit log records: the target names the id, the entry's `at` the time. */
const NOT_AUDITED = ['id', 'owner_id', 'created_date', 'updated_date'];

/**
 * Webhook subscriptions and their delivery logs. Each belongs to the account that created it: only that
 * account sees or changes it (another account gets 404, as if it did not exist), and admins see and change all.
 */
@Injectable()
export class WebhooksService {
  private readonly policy: DestinationPolicy;

  constructor(
    private readonly sql: SqlService,
    private readonly queue: DeliveryQueue,
    private readonly worker: DeliveryWorker,
    private readonly relay: WebhookRelay,
    private readonly config: AppConfig,
    private readonly auditLog: AuditLog,
  ) {
    this.policy = { allowPrivate: config.webhooks.allowPrivateUrls, httpsOnly: config.nodeEnv === 'production' };
  }

  /** Every change to a subscription records its audit entry in its own transaction (never with the secret). */
  async create(dto: WebhookCreateDto, caller: AuthenticatedUser, origin: AuditOrigin): Promise<WebhookWithSecretView> {
    this.checkUrl(dto.url);
    const secret = newSigningSecret();
    const max = this.config.webhooks.maxPerAccount;
    const row = await this.sql.transaction(async (tx) => {
      await tx.query(lockOwnerSubscriptions(caller.id));
      const [{ count }] = await tx.query<{ count: number }>(countOwnerSubscriptions(caller.id));
      if (count >= max) throw new ConflictException(`An account may have at most ${max} webhook subscriptions: delete one first`);
      const [created] = await tx.query<SubscriptionRow>(insertSubscription(caller.id, dto.url, dto.events, plainFilter(dto.filter), dto.description ?? null, secret, new Date()));
      await this.relay.placeStartPosition(tx);
      await this.auditLog.record(tx, {
        action: 'webhook.created',
        actor: caller,
        origin,
        target: { type: 'webhook', id: created.id },
        changes: changesBetween(null, toWebhookView(created), NOT_AUDITED),
      });
      return created;
    });
    return { ...toWebhookView(row), secret };
  }

  async list(query: WebhooksQuery, caller: AuthenticatedUser): Promise<Page<WebhookView>> {
    const limit = query.limit ?? WEBHOOK_PAGE_DEFAULT;
    const afterId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, (raw) => (isId(raw.id) ? raw.id : undefined));
    const rows = await this.sql.query<SubscriptionRow>(selectSubscriptionPage(isAdmin(caller) ? undefined : caller.id, afterId, limit + 1));
    return toPage(rows, limit, toWebhookView, (row) => encodeCursor({ id: row.id }));
  }

  async get(id: number, caller: AuthenticatedUser): Promise<WebhookView> {
    return toWebhookView(await this.findOwned(id, caller));
  }

  async update(id: number, dto: WebhookUpdateDto, caller: AuthenticatedUser, origin: AuditOrigin): Promise<WebhookView> {
    return this.sql.transaction(async (tx) => {
      const before = await this.lockOwned(tx, id, caller);
      if (dto.url !== undefined) this.checkUrl(dto.url);
      const [row] = await tx.query<SubscriptionRow>(
        updateSubscription(
          id,
          { url: dto.url, events: dto.events, filter: dto.filter === undefined ? undefined : plainFilter(dto.filter), description: dto.description, active: dto.active },
          new Date(),
        ),
      );
      const view = toWebhookView(row);
      await this.auditLog.record(tx, { action: 'webhook.updated', actor: caller, origin, target: { type: 'webhook', id }, changes: changesBetween(toWebhookView(before), view, NOT_AUDITED) });
      return view;
    });
  }

  async delete(id: number, caller: AuthenticatedUser, origin: AuditOrigin): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const before = await this.lockOwned(tx, id, caller);
      // Its deliveries go with it (ON DELETE CASCADE); their queued jobs find no delivery and complete unsent.
      await tx.query(deleteSubscription(id));
      await this.auditLog.record(tx, { action: 'webhook.deleted', actor: caller, origin, target: { type: 'webhook', id }, changes: changesBetween(toWebhookView(before), null, NOT_AUDITED) });
    });
  }

  /**
   * A new secret; the previous one keeps signing beside it for WEBHOOK_SECRET_OVERLAP_SECONDS. Audited without
   * changes: neither secret is ever recorded.
   */
  async rotateSecret(id: number, caller: AuthenticatedUser, origin: AuditOrigin): Promise<WebhookWithSecretView> {
    const secret = newSigningSecret();
    const now = new Date();
    const overlapUntil = new Date(now.getTime() + this.config.webhooks.secretOverlapSeconds * 1000);
    const row = await this.sql.transaction(async (tx) => {
      await this.lockOwned(tx, id, caller);
      const [rotated] = await tx.query<SubscriptionRow>(rotateSecret(id, secret, overlapUntil, now));
      await this.auditLog.record(tx, { action: 'webhook.secret_rotated', actor: caller, origin, target: { type: 'webhook', id } });
      return rotated;
    });
    return { ...toWebhookView(row), secret, previous_secret_expires_date: overlapUntil.toISOString() };
  }

  async deliveries(id: number, query: WebhooksQuery, caller: AuthenticatedUser): Promise<Page<DeliveryView>> {
    await this.findOwned(id, caller);
    const limit = query.limit ?? WEBHOOK_PAGE_DEFAULT;
    const beforeId = query.cursor === undefined ? undefined : decodeCursor(query.cursor, (raw) => (isId(raw.id) ? String(raw.id) : undefined));
    const rows = await this.sql.query<DeliveryRow>(selectDeliveryPage(id, beforeId, limit + 1));
    return toPage(rows, limit, toDeliveryView, (row) => encodeCursor({ id: Number(row.id) }));
  }

  /**
   * Sends the delivery again now, whatever its status: a new attempt replaces a scheduled one. When an attempt
   * is under way at this moment, that attempt is the retry (no second concurrent send).
   */
  async retry(id: number, deliveryId: number, caller: AuthenticatedUser): Promise<DeliveryView> {
    const subscription = await this.findOwned(id, caller);
    requireActive(subscription);
    const view = await this.sql.transaction(async (tx) => {
      const [delivery] = await tx.query<DeliveryRow & { job_id: string | null }>(selectDelivery(id, String(deliveryId)));
      if (!delivery) throw new NotFoundException(`Delivery ${deliveryId} of webhook ${id} not found`);
      if (delivery.job_id && (await this.queue.isActive(delivery.job_id))) return toDeliveryView(delivery);
      if (delivery.job_id) await this.queue.cancel(tx, delivery.job_id);
      const now = new Date();
      const [jobId] = await this.queue.enqueue(tx, [delivery.id]);
      await tx.query(requeueDelivery(delivery.id, jobId, now));
      return toDeliveryView({ ...delivery, status: 'pending', next_attempt_date: now });
    });
    this.worker.wake();
    return view;
  }

  /** A `webhook.ping` event, delivered (and retried) like any other. */
  async ping(id: number, caller: AuthenticatedUser): Promise<DeliveryView> {
    const subscription = await this.findOwned(id, caller);
    requireActive(subscription);
    const now = new Date();
    const eventId = `evt_ping_${randomUUID()}`;
    const payload = JSON.stringify({ type: PING_EVENT, timestamp: now.toISOString(), data: { webhook_id: id } });
    const row = await this.sql.transaction(async (tx) => {
      const [created] = await tx.query<{ id: string }>(insertPing(id, eventId, payload, now));
      const jobIds = await this.queue.enqueue(tx, [created.id]);
      await tx.query(setDeliveryJobs([created.id], jobIds));
      return created;
    });
    this.worker.wake();
    return toDeliveryView({
      id: row.id,
      event_id: eventId,
      event_type: PING_EVENT,
      status: 'pending',
      attempts: 0,
      response_status: null,
      response_body: null,
      duration_ms: null,
      error: null,
      created_date: now,
      next_attempt_date: now,
    });
  }

  /** findOwned for a change, in its transaction: the row stays locked until it commits. */
  private async lockOwned(tx: SqlTransaction, id: number, caller: AuthenticatedUser): Promise<SubscriptionRow> {
    const [row] = await tx.query<SubscriptionRow>(lockSubscription(id));
    if (!row || (row.owner_id !== caller.id && !isAdmin(caller))) throw notFound(id);
    return row;
  }

  /** The subscription, if the caller may see it: its owner or an admin. Anyone else learns nothing (404). */
  private async findOwned(id: number, caller: AuthenticatedUser): Promise<SubscriptionRow> {
    const [row] = await this.sql.query<SubscriptionRow>(selectSubscription(id));
    if (!row || (row.owner_id !== caller.id && !isAdmin(caller))) throw notFound(id);
    return row;
  }

  private checkUrl(url: string): void {
    const problem = webhookUrlProblem(url, this.policy);
    if (problem) throw new ValidationFailedException([{ field: 'url', message: problem }]);
  }
}

function requireActive(subscription: SubscriptionRow): void {
  if (!subscription.active) {
    throw new ConflictException(`Webhook ${subscription.id} is inactive${subscription.disabled_reason ? ` (${subscription.disabled_reason})` : ''}: PATCH it with "active": true first`);
  }
}

function notFound(id: number): NotFoundException {
  return new NotFoundException(`Webhook ${id} not found`);
}

/** The validated DTO as plain JSON (absent fields left out); null or absent: no filter. */
function plainFilter(filter: WebhookFilter | null | undefined): WebhookFilter {
  if (!filter) return {};
  return Object.fromEntries(Object.entries(filter).filter(([, value]) => value !== undefined));
}

function toWebhookView(row: SubscriptionRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    events: row.events,
    filter: row.filter,
    description: row.description,
    active: row.active,
    disabled_reason: row.disabled_reason,
    owner_id: row.owner_id,
    created_date: row.created_date.toISOString(),
    updated_date: row.updated_date.toISOString(),
  };
}

function toDeliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: Number(row.id),
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    response_status: row.response_status,
    response_body: row.response_body,
    duration_ms: row.duration_ms,
    error: row.error,
    created_date: row.created_date.toISOString(),
    next_attempt_date: row.next_attempt_date ? row.next_attempt_date.toISOString() : null,
  };
}
