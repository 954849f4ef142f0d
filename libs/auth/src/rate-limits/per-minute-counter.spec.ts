import { PerMinuteCounter } from './per-minute-counter';

describe('PerMinuteCounter (API key requests per sliding minute, in process)', () => {
  let now = 1_000_000;
  const counters: PerMinuteCounter[] = [];
  const counter = (limit: number) => {
    const created = new PerMinuteCounter(limit, () => now);
    counters.push(created);
    return created;
  };
  afterAll(() => counters.forEach((c) => c.onApplicationShutdown()));

  it('allows `limit` requests in a minute, then refuses with the seconds until the oldest is a minute old', () => {
    const limit = counter(3);
    expect([limit.count('k'), limit.count('k'), limit.count('k')]).toEqual(Array(3).fill({ allowed: true }));
    now += 20_000;
    expect(limit.count('k')).toEqual({ allowed: false, retryAfterSeconds: 40 });
    now += 39_500;
    expect(limit.count('k')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    now += 500;
    // The oldest three are a minute old now: one at a time fits again, as each of them leaves the window.
    expect(limit.count('k')).toEqual({ allowed: true });
  });

  it('slides: requests spread over the minute free their places one by one; refused ones are not counted', () => {
    now = 5_000_000;
    const limit = counter(2);
    expect(limit.count('k')).toEqual({ allowed: true });
    now += 30_000;
    expect(limit.count('k')).toEqual({ allowed: true });
    for (let i = 0; i < 5; i += 1) expect(limit.count('k').allowed).toBe(false);
    now += 30_000;
    // The first is a minute old: one place; the second still holds the other until 30 s from now.
    expect(limit.count('k')).toEqual({ allowed: true });
    expect(limit.count('k')).toEqual({ allowed: false, retryAfterSeconds: 30 });
  });

  it('counts each key apart', () => {
    const limit = counter(1);
    expect(limit.count('a')).toEqual({ allowed: true });
    expect(limit.count('b')).toEqual({ allowed: true });
    expect(limit.count('a').allowed).toBe(false);
  });

  it('forgets keys idle for a minute', () => {
    now = 9_000_000;
    const limit = counter(2);
    limit.count('idle');
    limit.count('idle');
    limit.count('busy');
    now += 59_000;
    limit.count('busy');
    now += 1_000;
    limit.evictIdle();
    expect(limit.size).toBe(1);
    expect(limit.count('idle')).toEqual({ allowed: true });
  });
});
