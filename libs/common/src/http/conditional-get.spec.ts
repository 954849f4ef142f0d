import { entityTag, ifNoneMatchMatches } from './conditional-get';

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
