import type { DeliveryView } from '@app/webhooks';
import { createSuiteDatabase, type TestDatabase } from './setup/test-database';
import { type AppProcess, startAppProcess } from './support/app-process';
import { aListing } from './support/listings';
import { type SignedIn, type TestApp, signUp, startTestApp, webhooksStarted } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

type Delivery = DeliveryView;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * WEBHOOK_WORKER=false makes an API-only instance: it hands the events to the subscriptions (the delivery log
 * shows them pending) and enqueues pings, but sends nothing; a worker instance on the same database sends all of
 * it, signed with the subscription's secret. On a database of its own: this file's queue and relay position are
 * the database's.
 */
describe('webhooks: API-only instances and workers (WEBHOOK_WORKER)', () => {
  const env = { WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_DISPATCH_INTERVAL_MS: '20' };
  let database: TestDatabase;
  let apiOnly: TestApp;
  let worker: AppProcess | undefined;
  let receiver: WebhookReceiver;
  let owner: SignedIn;

  beforeAll(async () => {
    database = await createSuiteDatabase();
    [apiOnly, receiver] = await Promise.all([startTestApp({ ...env, WEBHOOK_WORKER: 'false' }, database.url), WebhookReceiver.start()]);
    owner = await signUp(apiOnly, 'worker-role');
    await webhooksStarted(apiOnly);
  }, 60_000);

  afterAll(async () => {
    await worker?.stop();
    await apiOnly?.close();
    await receiver?.close();
    await database?.dispose();
  });

  it('an API-only instance delivers nothing; a worker on the same database delivers what it recorded', async () => {
    const created = await owner.api.post<{ id: number; secret: string }>('/webhooks', { url: receiver.url('/role'), events: ['*'] });
    expect(created.status).toBe(201);
    receiver.setSecrets('/role', [created.body.secret]);
    const listing = await owner.api.post<{ id: number }>('/listings', aListing({ latest_price_eur: 400_000 }));
    expect(listing.status).toBe(201);
    const repriced = await owner.api.put(`/listings/${listing.body.id}`, aListing({ latest_price_eur: 380_000 }));
    expect(repriced.status).toBe(200);
    expect((await owner.api.post(`/webhooks/${created.body.id}/ping`)).status).toBe(202);

    // Dozens of the relay's and the sender's intervals: an instance that sent would have delivered by now.
    await sleep(1_500);
    expect(receiver.deliveries('/role')).toEqual([]);
    const waiting = await owner.api.get<Delivery[]>(`/webhooks/${created.body.id}/deliveries`);
    expect(waiting.status).toBe(200);
    expect(waiting.body.map((d) => [d.event_type, d.status, d.attempts]).sort()).toEqual([
      ['listing.created', 'pending', 0],
      ['listing.price_changed', 'pending', 0],
      ['webhook.ping', 'pending', 0],
    ]);

    worker = await startAppProcess({ databaseUrl: database.url, env: { ...env, WEBHOOK_WORKER: 'true' } });
    const received = await receiver.waitFor('/role', 3);
    expect(received.map((d) => (d.body as { type: string }).type).sort()).toEqual(['listing.created', 'listing.price_changed', 'webhook.ping']);
    expect(received.every((d) => d.verified)).toBe(true);
  }, 120_000);
});
