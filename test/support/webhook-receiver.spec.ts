import { Webhook } from 'standardwebhooks';
import { type ReceivedDelivery, WebhookReceiver, newWebhookSecret } from './webhook-receiver';

/**
 * The receiver the webhook e2e tests trust: if it accepted a bad signature, or missed an overlap, those
 * tests would pass for the wrong reason. Requests are signed by `standardwebhooks` itself.
 */

interface Sent {
  id: string;
  body: string;
  signature: string;
  timestamp: Date;
}

/** A delivery as a Standard Webhooks sender makes it, signed with every secret given (a rotation). */
function signed(secrets: string[], body: string, options: { id?: string; timestamp?: Date } = {}): Sent {
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const timestamp = options.timestamp ?? new Date();
  const signature = secrets.map((secret) => new Webhook(secret).sign(id, timestamp, body)).join(' ');
  return { id, body, signature, timestamp };
}

function send(url: string, sent: Sent, init: { signal?: AbortSignal } = {}): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': sent.id,
      'webhook-timestamp': String(Math.floor(sent.timestamp.getTime() / 1000)),
      'webhook-signature': sent.signature,
    },
    body: sent.body,
    signal: init.signal,
  });
}

/** The error code under fetch's "fetch failed" (ECONNREFUSED, ECONNRESET, UND_ERR_SOCKET...). */
async function failureCode(request: Promise<Response>): Promise<string> {
  const error: unknown = await request.then(
    () => undefined,
    (e: unknown) => e,
  );
  // Not `instanceof Error`: fetch's errors come from Node's realm, not the test's.
  if (error === undefined) throw new Error('the request was answered');
  const { name, cause } = error as { name?: string; cause?: { code?: string } };
  return cause?.code ?? name ?? 'unknown';
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('WebhookReceiver', () => {
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    receiver = await WebhookReceiver.start();
  });

  afterEach(async () => {
    await receiver.close();
  });

  it('a delivery signed with the path secret verifies, its raw body kept byte for byte', async () => {
    const secret = newWebhookSecret();
    receiver.setSecrets('/hooks/a', [secret]);
    // Not what JSON.stringify would write: verifying a re-serialized body would fail.
    const body = '{ "type": "listing.price_changed",  "data": { "city": "Zürich", "price": 1.50 } }';
    const sent = signed([secret], body);

    const response = await send(receiver.url('/hooks/a'), sent);

    expect(response.status).toBe(204);
    const [delivery] = await receiver.waitFor('/hooks/a', 1);
    expect(delivery).toMatchObject({
      path: '/hooks/a',
      method: 'POST',
      id: sent.id,
      timestamp: Math.floor(sent.timestamp.getTime() / 1000),
      signature: sent.signature,
      rawBody: body,
      body: { type: 'listing.price_changed', data: { city: 'Zürich', price: 1.5 } },
      verified: true,
      verifyError: undefined,
      verifiedWith: [secret],
      occurrence: 1,
      answer: 'status',
      status: 204,
      abandoned: false,
    });
    expect(delivery.rawBytes.equals(Buffer.from(body, 'utf8'))).toBe(true);
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(receiver.verifiesWith(delivery, secret)).toBe(true);
  });

  it('a delivery signed with another secret, a changed body or an old timestamp does not verify', async () => {
    const secret = newWebhookSecret();
    receiver.setSecrets('/hooks/a', [secret]);
    const wrongSecret = signed([newWebhookSecret()], '{"n":1}');
    const tampered = { ...signed([secret], '{"n":2}'), body: '{"n":3}' };
    const stale = signed([secret], '{"n":4}', { timestamp: new Date(Date.now() - 10 * 60_000) });

    for (const sent of [wrongSecret, tampered, stale]) await send(receiver.url('/hooks/a'), sent);

    const deliveries = await receiver.waitFor('/hooks/a', 3);
    expect(deliveries.map((d) => [d.verified, d.verifiedWith])).toEqual([
      [false, []],
      [false, []],
      [false, []],
    ]);
    expect(deliveries[0].verifyError).toMatch(/No matching signature/);
    expect(deliveries[1].verifyError).toMatch(/No matching signature/);
    expect(deliveries[2].verifyError).toMatch(/too old/);
    expect(receiver.verifiesWith(deliveries[0], secret)).toBe(false);
  });

  it('a path without secrets verifies nothing, and says so', async () => {
    await send(receiver.url('/hooks/none'), signed([newWebhookSecret()], '{}'));

    const [delivery] = await receiver.waitFor('/hooks/none', 1);
    expect(delivery.verified).toBe(false);
    expect(delivery.verifyError).toBe('no secrets set for /hooks/none');
  });

  it('during a rotation, two space-separated signatures verify against each secret on its own', async () => {
    const [oldSecret, newSecret] = [newWebhookSecret(), newWebhookSecret()];
    receiver.setSecrets('/hooks/old', [oldSecret]);
    receiver.setSecrets('/hooks/new', [newSecret]);
    receiver.setSecrets('/hooks/both', [oldSecret, newSecret]);
    const sent = signed([oldSecret, newSecret], '{"type":"rotation"}');
    expect(sent.signature.split(' ')).toHaveLength(2);

    for (const path of ['/hooks/old', '/hooks/new', '/hooks/both']) await send(receiver.url(path), sent);

    const [onOld] = await receiver.waitFor('/hooks/old', 1);
    const [onNew] = await receiver.waitFor('/hooks/new', 1);
    const [onBoth] = await receiver.waitFor('/hooks/both', 1);
    expect([onOld.verifiedWith, onNew.verifiedWith, onBoth.verifiedWith]).toEqual([[oldSecret], [newSecret], [oldSecret, newSecret]]);
    expect(receiver.verifiesWith(onBoth, oldSecret)).toBe(true);
    expect(receiver.verifiesWith(onBoth, newSecret)).toBe(true);
    expect(receiver.verifiesWith(onBoth, newWebhookSecret())).toBe(false);
  });

  it('answers a status sequence in order, then repeats its last status', async () => {
    const secret = newWebhookSecret();
    receiver.respond('/hooks/flaky', [500, 503, 200]);

    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await send(receiver.url('/hooks/flaky'), signed([secret], `{"i":${i}}`, { id: 'msg_same' }))).status);

    expect(statuses).toEqual([500, 503, 200, 200, 200]);
    expect(receiver.deliveries('/hooks/flaky').map((d) => [d.status, d.occurrence])).toEqual([
      [500, 1],
      [503, 2],
      [200, 3],
      [200, 4],
      [200, 5],
    ]);
    expect(receiver.deliveries('/hooks/other')).toEqual([]);

    receiver.clear('/hooks/flaky');
    expect(receiver.deliveries()).toEqual([]);
    await send(receiver.url('/hooks/flaky'), signed([secret], '{}', { id: 'msg_same' }));
    expect(receiver.deliveries('/hooks/flaky').map((d) => [d.status, d.occurrence])).toEqual([[200, 6]]);
  });

  it('answers with a body and headers after a delay', async () => {
    receiver.respond('/hooks/slow', { status: 410, delayMs: 300, body: { gone: true }, headers: { 'x-why': 'unsubscribed' } });

    const started = Date.now();
    const response = await send(receiver.url('/hooks/slow'), signed([newWebhookSecret()], '{}'));

    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(response.status).toBe(410);
    expect(response.headers.get('x-why')).toBe('unsubscribed');
    expect(await response.json()).toEqual({ gone: true });
    const [delivery] = receiver.deliveries('/hooks/slow');
    expect(delivery.answeredAt! - delivery.receivedAt).toBeGreaterThanOrEqual(250);
  });

  it('pause() refuses connections (ECONNREFUSED) and resume() listens again on the same port', async () => {
    const port = receiver.port;
    const url = receiver.url('/hooks/a');
    expect((await send(url, signed([newWebhookSecret()], '{"n":1}'))).status).toBe(204);

    await receiver.pause();
    expect(await failureCode(send(url, signed([newWebhookSecret()], '{"n":2}')))).toBe('ECONNREFUSED');

    await receiver.resume();
    expect(receiver.port).toBe(port);
    expect((await send(url, signed([newWebhookSecret()], '{"n":3}'))).status).toBe(204);
    expect(receiver.deliveries('/hooks/a').map((d) => d.rawBody)).toEqual(['{"n":1}', '{"n":3}']);
  });

  it('pause() cuts the connections it was holding: a hanging request fails at its sender', async () => {
    receiver.respond('/hooks/hang', 'hang');
    const pending = failureCode(send(receiver.url('/hooks/hang'), signed([newWebhookSecret()], '{}')));
    const [delivery] = await receiver.waitFor('/hooks/hang', 1);

    await receiver.pause();

    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(await pending);
    expect(delivery.abandoned).toBe(true);
  });

  it('a new receiver can take over the port of a closed one', async () => {
    const port = receiver.port;
    await receiver.close();
    receiver = await WebhookReceiver.start({ port });

    expect((await send(receiver.url('/x'), signed([newWebhookSecret()], '{}'))).status).toBe(204);
    expect(receiver.url('/x')).toBe(`http://127.0.0.1:${port}/x`);
  });

  it("'hang' never answers: the sender times out, and the delivery is recorded as abandoned", async () => {
    receiver.respond('/hooks/hang', 'hang');

    const code = await failureCode(send(receiver.url('/hooks/hang'), signed([newWebhookSecret()], '{}'), { signal: AbortSignal.timeout(300) }));

    expect(code).toBe('TimeoutError');
    const [delivery] = await receiver.waitFor('/hooks/hang', 1);
    expect(delivery.answer).toBe('hang');
    await until(() => delivery.abandoned);
    expect(delivery.answeredAt).toBeUndefined();
  });

  it("'reset' destroys the connection without an answer", async () => {
    receiver.respond('/hooks/reset', 'reset');

    const code = await failureCode(send(receiver.url('/hooks/reset'), signed([newWebhookSecret()], '{}')));

    expect(['ECONNRESET', 'UND_ERR_SOCKET']).toContain(code);
    expect(receiver.deliveries('/hooks/reset').map((d) => [d.answer, d.status])).toEqual([['reset', 0]]);
  });

  it('waitFor rejects after its timeout, listing what did arrive', async () => {
    await send(receiver.url('/hooks/a'), signed([newWebhookSecret()], '{"type":"first"}', { id: 'msg_first' }));

    const waiting = receiver.waitFor('/hooks/a', 2, { timeoutMs: 200 });

    await expect(waiting).rejects.toThrow(/1 of 2 matching deliveries after 200 ms[\s\S]*msg_first[\s\S]*UNVERIFIED/);
  });

  it('waitFor resolves on arrival, counting only what `where` accepts', async () => {
    const url = receiver.url('/hooks/a');
    const waiting = receiver.waitFor('/hooks/a', 2, { where: (d: ReceivedDelivery) => (d.body as { keep?: boolean }).keep === true });

    for (const keep of [true, false, true, true]) await send(url, signed([newWebhookSecret()], JSON.stringify({ keep })));

    const found = await waiting;
    expect(found).toHaveLength(2);
    expect(found.map((d) => d.rawBody)).toEqual(['{"keep":true}', '{"keep":true}']);
  });

  it('concurrentDuplicates catches two simultaneous requests with one webhook-id, not sequential ones', async () => {
    receiver.respond('/hooks/a', { status: 200, delayMs: 200 });
    const secret = newWebhookSecret();
    const url = receiver.url('/hooks/a');

    await send(url, signed([secret], '{}', { id: 'msg_sequential' }));
    await send(url, signed([secret], '{}', { id: 'msg_sequential' }));
    await Promise.all([send(url, signed([secret], '{}', { id: 'msg_a' })), send(url, signed([secret], '{}', { id: 'msg_b' }))]);
    expect(receiver.concurrentDuplicates()).toEqual({ max: 1, ids: [] });

    await Promise.all([send(url, signed([secret], '{}', { id: 'msg_twice' })), send(url, signed([secret], '{}', { id: 'msg_twice' }))]);
    expect(receiver.concurrentDuplicates()).toEqual({ max: 2, ids: ['msg_twice'] });
  });
});
