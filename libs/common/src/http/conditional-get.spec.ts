import { ConditionalBody, ConditionalGetResponder, entityTag, ifNoneMatchMatches } from './conditional-get';
import type { HttpArgumentsHost } from './handler-result';

describe('If-None-Match', () => {
  const etag = entityTag('listing', 12, '2026-11-23T16:02:10.004Z');

  it('matches the same tag, alone or in a list, strong or weak', () => {
    expect(ifNoneMatchMatches(etag, etag)).toBe(true);
    expect(ifNoneMatchMatches(`"other", ${etag}`, etag)).toBe(true);
    expect(ifNoneMatchMatches(`W/${etag}`, etag)).toBe(true);
    expect(ifNoneMatchMatches(['"a"', etag], etag)).toBe(true);
  });

  it('matches anything with *', () => {
    expect(ifNoneMatchMatches(' * ', etag)).toBe(true);
  });

  it('does not match another tag, an absent header or garbage', () => {
    expect(ifNoneMatchMatches('"other"', etag)).toBe(false);
    expect(ifNoneMatchMatches(undefined, etag)).toBe(false);
    expect(ifNoneMatchMatches(etag.slice(1, -1), etag)).toBe(false);
    expect(ifNoneMatchMatches('', etag)).toBe(false);
  });

  it('makes different tags from different parts', () => {
    expect(entityTag('a', 1)).not.toBe(entityTag('a', 2));
    expect(entityTag('a', 1)).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
  });
});

/** A request and a reply as a result step sees them, and what the responder makes of a handler's result. */
function exchange(url: string, headers: Record<string, string> = {}) {
  const reply = {
    statusCode: 200,
    headers: { 'content-type': 'image/svg+xml' } as Record<string, string>,
    header(name: string, value: string) {
      this.headers[name] = value;
      return this;
    },
    status(code: number) {
      this.statusCode = code;
      return this;
    },
    removeHeader(name: string) {
      delete this.headers[name];
      return this;
    },
  };
  const http = { getRequest: () => ({ url, headers }), getResponse: () => reply } as unknown as HttpArgumentsHost;
  return { reply, run: (responder: ConditionalGetResponder, result: unknown) => responder.respond(result, http) };
}

describe('@ConditionalGet()', () => {
  const listing = { id: 12, name: 'Flat' };

  it('tags a plain body by its JSON: 200 with ETag and Cache-Control, then 304 without a body or a Content-Type', async () => {
    const responder = new ConditionalGetResponder('listing');
    const fresh = exchange('/listings/12');
    expect(await fresh.run(responder, listing)).toBe(listing);
    expect(fresh.reply.headers).toMatchObject({ etag: entityTag('listing', JSON.stringify(listing)), 'cache-control': 'no-cache' });
    expect(fresh.reply.statusCode).toBe(200);

    const revalidated = exchange('/listings/12', { 'if-none-match': fresh.reply.headers.etag });
    expect(await revalidated.run(responder, listing)).toBeUndefined();
    expect(revalidated.reply.statusCode).toBe(304);
    expect(revalidated.reply.headers).toEqual({ etag: fresh.reply.headers.etag, 'cache-control': 'no-cache' });
  });

  it('builds a deferred body only for a 200', async () => {
    const responder = new ConditionalGetResponder('chart');
    const build = jest.fn(() => Promise.resolve('<svg/>'));
    const etag = entityTag('chart', 12, 3);
    expect(await exchange('/c', { 'if-none-match': etag }).run(responder, ConditionalBody.deferred([12, 3], build))).toBeUndefined();
    expect(build).not.toHaveBeenCalled();
    const stale = exchange('/c', { 'if-none-match': '"old"' });
    expect(await stale.run(responder, ConditionalBody.deferred([12, 3], build))).toBe('<svg/>');
    expect(build).toHaveBeenCalledTimes(1);
    expect(stale.reply.headers.etag).toBe(etag);
  });

  describe('a probed version', () => {
    const probed = (probeVersion: string, readVersion: string) => {
      const probe = jest.fn(() => Promise.resolve([12, probeVersion]));
      const read = jest.fn(() => Promise.resolve({ body: ['page'], version: [12, readVersion] }));
      return { probe, read, body: ConditionalBody.probed(probe, read) };
    };
    const responder = new ConditionalGetResponder('prices', { perQueryString: true });
    const tag = (version: string, search: string) => entityTag('prices', 12, version, search);

    it('without If-None-Match: one read, tagged with the version read with the body and the query string', async () => {
      const { probe, read, body } = probed('v1', 'v1');
      const fresh = exchange('/listings/12/prices?limit=2');
      expect(await fresh.run(responder, body)).toEqual(['page']);
      expect(probe).not.toHaveBeenCalled();
      expect(read).toHaveBeenCalledTimes(1);
      expect(fresh.reply.headers.etag).toBe(tag('v1', '?limit=2'));
    });

    it('a matching If-None-Match: the probe alone, then 304', async () => {
      const { probe, read, body } = probed('v1', 'v1');
      const revalidated = exchange('/listings/12/prices?limit=2', { 'if-none-match': tag('v1', '?limit=2') });
      expect(await revalidated.run(responder, body)).toBeUndefined();
      expect([probe.mock.calls.length, read.mock.calls.length, revalidated.reply.statusCode]).toEqual([1, 0, 304]);
    });

    it('a stale If-None-Match: the probe, then the read, whose version gives the tag', async () => {
      const { probe, read, body } = probed('v2', 'v3');
      const stale = exchange('/listings/12/prices', { 'if-none-match': tag('v1', '') });
      expect(await stale.run(responder, body)).toEqual(['page']);
      expect([probe.mock.calls.length, read.mock.calls.length, stale.reply.statusCode]).toEqual([1, 1, 200]);
      expect(stale.reply.headers.etag).toBe(tag('v3', ''));
    });

    it('another query string is another representation', async () => {
      const { body } = probed('v1', 'v1');
      expect(await exchange('/listings/12/prices?limit=3', { 'if-none-match': tag('v1', '?limit=2') }).run(responder, body)).toEqual(['page']);
    });
  });
});
