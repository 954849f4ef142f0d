import dns from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DestinationPolicy } from './destination';
import { WebhookSender } from './webhook-sender';

// Every request here goes to a node:http server on 127.0.0.1, and nowhere else.

const DEVELOPMENT: DestinationPolicy = { allowPrivate: true, httpsOnly: false };
const STRICT_HTTP: DestinationPolicy = { allowPrivate: false, httpsOnly: false };

interface ReceivedRequest {
  method?: string;
  url?: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A receiver on 127.0.0.1 answering by path, which records what reaches it. */
class Receiver {
  readonly requests: ReceivedRequest[] = [];
  connections = 0;
  private readonly server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      this.requests.push({ method: request.method, url: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      this.answer(request.url ?? '/', response);
    });
  });

  constructor() {
    this.server.on('connection', () => (this.connections += 1));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  private answer(path: string, response: http.ServerResponse): void {
    switch (path) {
      case '/ok':
        response.writeHead(204).end();
        return;
      case '/accepted':
        response.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
        return;
      case '/fail':
        // 5 KB, starting with a two-byte character: the limit counts bytes, not characters.
        response.writeHead(500, { 'content-type': 'text/plain' }).end('é' + 'x'.repeat(5 * 1024));
        return;
      case '/endless':
        // A body that never ends: only a sender that stops reading gets an answer.
        response.writeHead(200, { 'content-type': 'text/plain' }).write('y'.repeat(2 * 1024));
        return;
      case '/moved':
        response.writeHead(302, { location: '/ok' }).end('moved');
        return;
      case '/hang':
        return; // never answers
      default:
        response.writeHead(404).end();
    }
  }
}

/** A port on 127.0.0.1 where nothing listens (it was just given up). */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('WebhookSender', () => {
  let receiver: Receiver;
  let sender: WebhookSender;

  beforeEach(async () => {
    receiver = new Receiver();
    await receiver.start();
    sender = new WebhookSender({ timeoutMs: 2_000, policy: DEVELOPMENT });
  });

  afterEach(async () => {
    sender.close();
    await receiver.stop();
    jest.restoreAllMocks();
  });

  it('POSTs the body as JSON with the given headers, and reports the 2xx status', async () => {
    const body = JSON.stringify({ type: 'listing.price_changed', data: { id: 7 } });
    const result = await sender.send(receiver.url('/accepted'), { 'webhook-id': 'msg_1', 'webhook-signature': 'v1,abc' }, body);

    expect(result).toEqual({ status: 200, responseBody: 'thanks', durationMs: expect.any(Number) });
    expect(receiver.requests).toEqual([
      {
        method: 'POST',
        url: '/accepted',
        headers: expect.objectContaining({ 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'webhook-id': 'msg_1', 'webhook-signature': 'v1,abc' }),
        body,
      },
    ]);
  });

  it('keeps the connection alive between deliveries to the same receiver', async () => {
    for (let i = 0; i < 3; i++) expect((await sender.send(receiver.url('/ok'), {}, '{}')).status).toBe(204);
    expect(receiver.requests).toHaveLength(3);
    expect(receiver.connections).toBe(1);
  });

  it('reports a 500 with the first 1024 bytes of its 5 KB body, and no error', async () => {
    const result = await sender.send(receiver.url('/fail'), {}, '{}');

    expect(result.status).toBe(500);
    expect(result.error).toBeUndefined();
    expect(Buffer.byteLength(result.responseBody)).toBe(1024);
    expect(result.responseBody).toBe('é' + 'x'.repeat(1022));
  });

  it('stops reading after 1024 bytes: a body that never ends is no timeout', async () => {
    const result = await sender.send(receiver.url('/endless'), {}, '{}');

    expect(result).toEqual({ status: 200, responseBody: 'y'.repeat(1024), durationMs: expect.any(Number) });
  });

  it('does not follow a redirect: a 302 is the result, and the receiver sees one request', async () => {
    const result = await sender.send(receiver.url('/moved'), {}, '{}');
    // A follow-up request would arrive right after the 302.
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(result).toEqual({ status: 302, responseBody: 'moved', durationMs: expect.any(Number) });
    expect(receiver.requests.map(({ url }) => url)).toEqual(['/moved']);
  });

  it('gives up after the timeout when the receiver never answers', async () => {
    sender.close();
    sender = new WebhookSender({ timeoutMs: 300, policy: DEVELOPMENT });

    const result = await sender.send(receiver.url('/hang'), {}, '{}');

    expect(result).toEqual({ responseBody: '', durationMs: expect.any(Number), error: 'timeout' });
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
    expect(result.durationMs).toBeLessThan(1_000);
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();

    const result = await sender.send(`http://127.0.0.1:${port}/hook`, {}, '{}');

    expect(result).toEqual({ responseBody: '', durationMs: expect.any(Number), error: 'connection refused' });
  });

  describe('with private destinations not allowed', () => {
    beforeEach(() => {
      sender.close();
      sender = new WebhookSender({ timeoutMs: 2_000, policy: STRICT_HTTP });
    });

    it.each(['127.0.0.1', '[::ffff:127.0.0.1]', '2130706433'])('refuses a literal loopback address (%s) before connecting', async (host) => {
      const result = await sender.send(receiver.url('/ok', host), {}, '{}');

      expect(result).toEqual({ responseBody: '', durationMs: expect.any(Number), error: 'destination not allowed' });
      expect(receiver.connections).toBe(0);
    });

    it('refuses localhost when the name is resolved, before connecting', async () => {
      const lookup = jest.spyOn(dns, 'lookup');

      const result = await sender.send(receiver.url('/ok', 'localhost'), {}, '{}');

      expect(result).toEqual({ responseBody: '', durationMs: expect.any(Number), error: 'destination not allowed' });
      expect(lookup).toHaveBeenCalledWith('localhost', expect.objectContaining({ all: true }), expect.any(Function));
      expect(receiver.connections).toBe(0);
    });

    it('the same URLs reach the receiver when private destinations are allowed', async () => {
      sender.close();
      sender = new WebhookSender({ timeoutMs: 2_000, policy: DEVELOPMENT });

      expect((await sender.send(receiver.url('/ok'), {}, '{}')).status).toBe(204);
      expect((await sender.send(receiver.url('/ok', 'localhost'), {}, '{}')).status).toBe(204);
    });
  });

  it.each([
    ['an https-only policy refuses http', { allowPrivate: true, httpsOnly: true }, 'http://127.0.0.1:1/hook', 'url must use https'],
    ['credentials are refused', DEVELOPMENT, 'http://user:secret@127.0.0.1:1/hook', 'url must not contain a user name or password'],
    ['another scheme is refused', DEVELOPMENT, 'ftp://127.0.0.1:1/hook', 'url must use http or https'],
    ['a URL that does not parse is refused', DEVELOPMENT, 'not a url', 'invalid url'],
  ])('refuses before connecting: %s', async (_what, policy, url, error) => {
    sender.close();
    sender = new WebhookSender({ timeoutMs: 2_000, policy });

    expect(await sender.send(url, {}, '{}')).toEqual({ responseBody: '', durationMs: expect.any(Number), error });
  });

  it('reports a header Node refuses to send, without throwing', async () => {
    const result = await sender.send(receiver.url('/ok'), { 'x-bad': 'a\r\nb' }, '{}');

    expect(result.error).toMatch(/^invalid request: /);
    expect(receiver.connections).toBe(0);
  });
});
