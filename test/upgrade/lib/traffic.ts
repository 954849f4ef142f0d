/**
 * The clients of a rolling upgrade: users that keep reading listings and prices, changing their own
 * listings' prices and creating listings with an Idempotency-Key, through nginx, while the instances behind
 * it are replaced. Each client retries what a careful client retries (no answer, any 5xx, and for a create a
 * 409 "same key still running") a few times with backoff; a create is retried with the same key and body,
 * so a retry can never make a second listing. Every attempt and every operation's outcome is recorded per
 * phase, and what the service acknowledged is remembered for the checks.
 */
import { Answer, HttpClient, json } from '../../scale/lib/http';
import { sleep } from '../../scale/lib/supervisor';
import { listingBody, userAddress } from '../../scale/lib/traffic';

export type Op = 'register' | 'login' | 'create' | 'update' | 'listing' | 'prices' | 'page';

export interface Attempt {
  phase: string;
  op: Op;
  status: number;
  /** 0 for the first try of an operation, then 1, 2, … */
  retry: number;
}

/** One operation after its retries: what the client finally got. */
export interface Outcome {
  phase: string;
  op: Op;
  ok: boolean;
  status: number;
  attempts: number;
  path: string;
  error?: string;
}

/** A listing created with an acknowledged (201) POST, with the prices the service acknowledged, oldest first. */
export interface Tracked {
  id: number;
  key: string;
  name: string;
  acknowledgedAt: number;
  prices: number[];
  /** A price sent in a PUT that got no 200 even after retries: it may or may not have been applied. */
  inDoubt?: number;
}

/** Attempts per operation and the first backoff (doubled each time, with jitter): 0.1 + 0.2 + … ≈ 3 s. */
export const MAX_ATTEMPTS = 6;
const FIRST_BACKOFF_MS = 100;
const PASSWORD = 'upgrade-test-password';
/** Reads go to listings acknowledged this long ago: the replica has replayed them by then. */
const SETTLED_MS = 2000;
const PAGES = ['/listings?limit=20', '/listings?sort=-created&limit=20', '/listings?city=Paris&sort=price&limit=10'];

export class UpgradeTraffic {
  phase = 'setup';
  readonly attempts: Attempt[] = [];
  readonly outcomes: Outcome[] = [];
  readonly listings: Tracked[] = [];
  /** Idempotency keys whose create never got a 201: the checks look for what they may have left behind. */
  readonly unacknowledgedKeys: string[] = [];
  private readonly origin = performance.now();
  private running = false;
  private users: UpgradeUser[] = [];

  constructor(private readonly baseUrl: string, readonly runId: string) {}

  now(): number {
    return performance.now() - this.origin;
  }

  /** Signs `count` users up and in, and has each create `listingsEach` listings before the load starts. */
  async prepare(count: number, listingsEach: number): Promise<void> {
    this.users = Array.from({ length: count }, (_, i) => new UpgradeUser(this, new HttpClient(this.baseUrl, userAddress(i)), i));
    const signedIn = await Promise.all(this.users.map((user) => user.signIn()));
    if (!signedIn.every(Boolean)) throw new Error(`only ${signedIn.filter(Boolean).length} of ${count} users could sign up and in through the old release`);
    await Promise.all(this.users.map(async (user) => {
      for (let i = 0; i < listingsEach; i++) await user.create();
    }));
  }

  /** Starts every user's loop; the returned promise ends once stop() was called and the loops finished. */
  start(): Promise<void> {
    this.running = true;
    return Promise.all(this.users.map((user) => user.loop())).then(() => undefined);
  }

  stop(): void {
    this.running = false;
  }

  get isRunning(): boolean {
    return this.running;
  }

  close(): void {
    for (const user of this.users) user.close();
  }

  randomSettledListing(): Tracked | undefined {
    const settled = this.listings.filter((listing) => listing.acknowledgedAt < this.now() - SETTLED_MS);
    return settled.length > 0 ? settled[Math.floor(Math.random() * settled.length)] : undefined;
  }

  /**
   * Sends one operation, retrying it on no answer and on any 5xx (and on `retryAlso`) with backoff; records
   * every attempt and the outcome. ok: the final status is the expected one.
   */
  async send(http: HttpClient, op: Op, method: string, path: string, expected: number, options: { token?: string; body?: unknown; headers?: Record<string, string>; retryAlso?: number[] } = {}): Promise<Answer> {
    const phase = this.phase;
    let answer: Answer | undefined;
    let attempt = 0;
    for (; attempt < MAX_ATTEMPTS; attempt++) {
      if (attempt > 0) await sleep(FIRST_BACKOFF_MS * 2 ** (attempt - 1) * (0.75 + Math.random() / 2));
      answer = await http.request(method, path, { token: options.token, body: options.body, headers: options.headers, timeoutMs: 10_000 });
      this.attempts.push({ phase, op, status: answer.status, retry: attempt });
      const retryable = answer.status === 0 || answer.status >= 500 || (options.retryAlso ?? []).includes(answer.status);
      if (!retryable) break;
    }
    const final = answer!;
    const outcome: Outcome = { phase, op, ok: final.status === expected, status: final.status, attempts: Math.min(attempt + 1, MAX_ATTEMPTS), path: `${method} ${path}` };
    if (!outcome.ok) outcome.error = final.error ?? final.body.slice(0, 200);
    this.outcomes.push(outcome);
    return final;
  }
}

class UpgradeUser {
  private token = '';
  private readonly own: Tracked[] = [];
  private created = 0;
  private readonly email: string;

  constructor(private readonly traffic: UpgradeTraffic, private readonly http: HttpClient, private readonly index: number) {
    this.email = `upgrade-${traffic.runId}-u${index}@example.test`;
  }

  async signIn(): Promise<boolean> {
    const register = await this.traffic.send(this.http, 'register', 'POST', '/auth/register', 201, { body: { email: this.email, password: PASSWORD } });
    if (register.status !== 201) return false;
    const login = await this.traffic.send(this.http, 'login', 'POST', '/auth/login', 200, { body: { email: this.email, password: PASSWORD } });
    this.token = json<{ access_token: string }>(login)?.access_token ?? '';
    return this.token !== '';
  }

  async loop(): Promise<void> {
    while (this.traffic.isRunning) {
      const dice = Math.random();
      const changeable = this.own.filter((listing) => listing.inDoubt === undefined);
      const settled = this.traffic.randomSettledListing();
      if (dice < 0.1 || changeable.length === 0) await this.create();
      else if (dice < 0.35) await this.changePrice(changeable[Math.floor(Math.random() * changeable.length)]);
      else if (dice < 0.6 && settled) await this.traffic.send(this.http, 'listing', 'GET', `/listings/${settled.id}`, 200);
      else if (dice < 0.85 && settled) await this.traffic.send(this.http, 'prices', 'GET', `/listings/${settled.id}/prices?limit=100`, 200);
      else await this.traffic.send(this.http, 'page', 'GET', PAGES[Math.floor(Math.random() * PAGES.length)], 200);
    }
  }

  close(): void {
    this.http.close();
  }

  /** POST with an Idempotency-Key, re-sent with the same key and body until a 201 (or out of attempts). */
  async create(): Promise<void> {
    const key = `${this.traffic.runId}-u${this.index}-${++this.created}`;
    const name = `upgrade-${this.traffic.runId} ${key}`;
    const price = randomPrice();
    const answer = await this.traffic.send(this.http, 'create', 'POST', '/listings', 201, {
      token: this.token,
      body: listingBody(name, price),
      headers: { 'idempotency-key': key },
      retryAlso: [409], // the same key still running: its first attempt has not finished (or its instance is stopping)
    });
    const id = json<{ id: number }>(answer)?.id;
    if (answer.status === 201 && id) {
      const listing: Tracked = { id, key, name, acknowledgedAt: this.traffic.now(), prices: [price] };
      this.own.push(listing);
      this.traffic.listings.push(listing);
    } else {
      this.traffic.unacknowledgedKeys.push(key);
    }
  }

  /** PUT is a full replacement, so re-sending it as is cannot record the new price twice. */
  private async changePrice(listing: Tracked): Promise<void> {
    const current = listing.prices[listing.prices.length - 1];
    let price = randomPrice();
    while (price === current) price = randomPrice();
    const answer = await this.traffic.send(this.http, 'update', 'PUT', `/listings/${listing.id}`, 200, { token: this.token, body: listingBody(listing.name, price) });
    if (answer.status === 200) listing.prices.push(price);
    else listing.inDoubt = price;
  }
}

function randomPrice(): number {
  return 50_000 + 1000 * Math.floor(Math.random() * 2000);
}
