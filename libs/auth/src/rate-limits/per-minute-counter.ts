import type { OnApplicationShutdown } from '@nestjs/common';

const MINUTE_MS = 60_000;

/** A request counted, or refused with the seconds until one fits again. */
export type CountOutcome = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Window {
  /** When each counted request came (ms), oldest at `head` once the ring is full. */
  hits: number[];
  head: number;
}

/**
 * Requests per key over any sliding minute, in this process, for the API key limit when there is no Redis to
 * share it through. The same rule as the throttler storages (a sliding log, a refused request not counted,
 * no block beyond it), but each request costs O(1): a ring of at most `limit` times per key, where the oldest
 * is always at its head. @nestjs/throttler's in-memory storage filters every live hit on every request, which
 * at 600 a minute cost tens of µs per request, more than the whole rest of a key's check.
 */
export class PerMinuteCounter implements OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly limit: number,
    private readonly clock: () => number = Date.now,
  ) {
    // Keys idle for a minute hold nothing that matters any more.
    this.sweep = setInterval(() => this.evictIdle(), MINUTE_MS);
    this.sweep.unref();
  }

  count(key: string): CountOutcome {
    const now = this.clock();
    let window = this.windows.get(key);
    if (!window) {
      window = { hits: [], head: 0 };
      this.windows.set(key, window);
    }
    if (window.hits.length < this.limit) {
      window.hits.push(now);
      return { allowed: true };
    }
    const oldest = window.hits[window.head];
    if (now - oldest >= MINUTE_MS) {
      window.hits[window.head] = now;
      window.head = (window.head + 1) % this.limit;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((oldest + MINUTE_MS - now) / 1000)) };
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweep);
    this.windows.clear();
  }

  /** Drops the keys whose newest request is over a minute old. */
  evictIdle(): void {
    const now = this.clock();
    for (const [key, { hits, head }] of this.windows) {
      const newest = hits.length < this.limit ? hits[hits.length - 1] : hits[(head + this.limit - 1) % this.limit];
      if (newest === undefined || now - newest >= MINUTE_MS) this.windows.delete(key);
    }
  }

  /** Keys currently tracked (for tests). */
  get size(): number {
    return this.windows.size;
  }
}
