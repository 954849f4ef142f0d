import { createSuiteDatabase } from './setup/test-database';
import { signUp, startTestApp } from './support/test-app';
import { WebhookReceiver } from './support/webhook-receiver';

const ROUNDS = 3;

/**
 * Instances that start together on a fresh database each create the webhook queue, and a ping may come before
 * the queue is there. pg-boss's job insert joins the queue's row: before that row is committed it inserted
 * nothing and said nothing, and the delivery waited forever for a job that did not exist (and one instance's
 * queue creation lost a deadlock to the other's, and waited 5 s to try again). Now a ping is refused with a 503
 * until the queue is there, and accepted pings are delivered. On a loaded machine the race is lost about one
 * time in three; each round is a fresh database.
 */
describe('webhooks: instances starting together on a fresh database', () => {
  it('never lose a ping: it is refused with 503 and Retry-After until the queue exists, then delivered', async () => {
    const receiver = await WebhookReceiver.start();
    try {
      for (let round = 1; round <= ROUNDS; round += 1) {
        const database = await createSuiteDatabase();
        const [worker, apiOnly] = await Promise.all([
          startTestApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true', WEBHOOK_DISPATCH_INTERVAL_MS: '20' }, database.url),
          startTestApp({ WEBHOOK_WORKER: 'false' }, database.url),
        ]);
        try {
          const owner = await signUp(worker, `startup-${round}`);
          const path = `/startup-${round}`;
          const subscription = await owner.api.post<{ id: number }>('/webhooks', { url: receiver.url(path), events: ['listing.created'] });
          expect(subscription.status).toBe(201);
          // At once, as a client would, and again after each 503 (sooner than Retry-After says: this is a test).
          const refusals: unknown[] = [];
          const deadline = Date.now() + 30_000;
          let ping = await owner.api.post<{ message?: string }>(`/webhooks/${subscription.body.id}/ping`);
          while (ping.status === 503 && Date.now() < deadline) {
            refusals.push({ body: ping.body, retryAfter: ping.headers.get('retry-after') });
            await new Promise((resolve) => setTimeout(resolve, 50));
            ping = await owner.api.post<{ message?: string }>(`/webhooks/${subscription.body.id}/ping`);
          }
          expect(ping.status).toBe(202);
          for (const refusal of refusals) expect(refusal).toEqual({ body: { message: 'Webhook deliveries are starting: retry shortly' }, retryAfter: '5' });
          const [delivery] = await receiver.waitFor(path, 1, { timeoutMs: 20_000 });
          expect((delivery.body as { type: string }).type).toBe('webhook.ping');
        } finally {
          await Promise.all([worker.close(), apiOnly.close()]);
          await database.dispose();
        }
      }
    } finally {
      await receiver.close();
    }
  }, 180_000);
});
