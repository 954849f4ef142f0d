/**
 * Micro-benchmark: webhook deliveries per second through WebhookSender (keep-alive agents, guarded lookup)
 * to a fast receiver, a node:http server in a child process on 127.0.0.1 that answers 204. Signing and the
 * queue are not included: this is the HTTP side alone. Prints numbers; asserts nothing.
 *
 *   tsc -p bench/tsconfig.json && node node_modules/.cache/listing-bench/bench/webhook-sender.js [--requests 5000] [--concurrency 50]
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { WebhookSender } from '../libs/webhooks/src/delivery/webhook-sender';

function receive(): void {
  const server = http.createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
  process.on('disconnect', () => process.exit(0));
}

async function measure(requests: number, concurrency: number): Promise<void> {
  const receiver = fork(__filename, ['--receiver'], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => receiver.once('message', (message) => resolve(message as number)));
  const url = `http://127.0.0.1:${port}/hooks/listing-events`;
  // The development policy: the receiver is on loopback.
  const sender = new WebhookSender({ timeoutMs: 10_000, policy: { allowPrivate: true, httpsOnly: false }, maxSockets: concurrency });
  const body = JSON.stringify({ type: 'listing.price_changed', timestamp: new Date().toISOString(), data: { listing_id: 123456, latest_price_eur: 350000, previous_price_eur: 365000 } });
  const headers = { 'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,' + 'A'.repeat(44) };

  const run = async (count: number) => {
    const durations: number[] = [];
    const failures = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next += 1;
        const result = await sender.send(url, headers, body);
        durations.push(result.durationMs);
        if (result.error || result.status !== 204) {
          const why = result.error ?? `status ${result.status}`;
          failures.set(why, (failures.get(why) ?? 0) + 1);
        }
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { seconds: (performance.now() - started) / 1000, durations: durations.sort((a, b) => a - b), failures };
  };

  await run(Math.min(1000, requests)); // warm-up: JIT, the agent's sockets
  const { seconds, durations, failures } = await run(requests);
  const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))];
  console.log(`${requests} deliveries, concurrency ${concurrency}: ${(requests / seconds).toFixed(0)} deliveries/s (${seconds.toFixed(2)} s)`);
  console.log(`latency ms: p50 ${at(0.5)}, p99 ${at(0.99)}, max ${durations[durations.length - 1]}`);
  console.log(`failures: ${failures.size === 0 ? 'none' : JSON.stringify(Object.fromEntries(failures))}`);

  sender.close();
  receiver.disconnect();
}

const { values } = parseArgs({ options: { receiver: { type: 'boolean' }, requests: { type: 'string' }, concurrency: { type: 'string' } } });
if (values.receiver) receive();
else void measure(Number(values.requests ?? 5000), Number(values.concurrency ?? 50));
