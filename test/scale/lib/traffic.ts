/**
 * Mixed traffic through nginx: virtual users that each sign up and sign in from their own address, then loop
 * over creating listings, changing their prices and anonymous reads, recording every answer. Each user
 * remembers what the service acknowledged (a 2xx), which is what the checks hold the database to.
 */
import { Answer, HttpClient, json, nextPage } from './http';
import { sleep } from './supervisor';

export type Op = 'register' | 'login' | 'create' | 'update' | 'page' | 'listing' | 'prices' | 'read-after-write';

export interface Sample {
  /** ms since the load started (sign-up samples: since sign-up started). */
  t: number;
  op: Op;
  method: string;
  status: number;
  ms: number;
}

/** A listing this run created, with the prices the service acknowledged, oldest first. */
export interface Tracked {
  id: number;
  name: string;
  /** When the create was acknowledged (Traffic.now()). */
  createdAt: number;
  prices: number[];
  /** A price sent in a PUT that got no 2xx even after retries: it may or may not have been applied. */
  inDoubt?: number;
}

export interface TrafficResult {
  samples: Sample[];
  listings: Tracked[];
  /** POSTs that got no answer and were not retried (a retry could create a duplicate): names to look for. */
  unacknowledgedCreates: string[];
  staleReads: number;
  freshReads: number;
}

export interface TrafficOptions {
  baseUrl: string;
  runId: string;
  users: number;
  durationMs: number;
  /** Ids 1..seededListings exist before the load starts. */
  seededListings: number;
}

const PASSWORD = 'scale-test-password';
const PAGES = ['/listings?limit=20', '/listings?city=Paris&sort=price&limit=20', '/listings?building_type=HOUSE&min_rooms=3&limit=20', '/listings?sort=-created&limit=20', '/listings?country=DE&max_price=400000&limit=20'];

export class Traffic {
  readonly samples: Sample[] = [];
  readonly listings: Tracked[] = [];
  readonly unacknowledgedCreates: string[] = [];
  staleReads = 0;
  freshReads = 0;
  private origin = performance.now();
  private stopAt = Number.POSITIVE_INFINITY;
  private holds = 0;

  constructor(private readonly o: TrafficOptions) {}

  /** Signs every user up and in (in parallel); returns the ones that got a token. */
  async signUp(): Promise<User[]> {
    this.origin = performance.now();
    const users = Array.from({ length: this.o.users }, (_, i) => new User(this, new HttpClient(this.o.baseUrl, userAddress(i)), `scale-${this.o.runId}-u${i}@example.test`, i));
    const ready = await Promise.all(users.map((user) => user.signIn()));
    return users.filter((_, i) => ready[i]);
  }

  /** Runs the users' loops for durationMs (or longer, see hold and extend); timed events (the kills) run alongside. */
  async run(users: User[], events: { atMs: number; run: () => Promise<void> }[]): Promise<void> {
    this.origin = performance.now();
    this.stopAt = this.o.durationMs;
    const timed = events.map(async (event) => {
      await sleep(event.atMs);
      await event.run();
    });
    await Promise.all([...users.map((user) => user.loop()), ...timed]);
    for (const user of users) user.close();
  }

  now(): number {
    return performance.now() - this.origin;
  }

  get running(): boolean {
    return this.holds > 0 || this.now() < this.stopAt;
  }

  /** Keeps the load going past its planned end until released (an instance is still on its way back). */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (!released) this.holds--;
      released = true;
    };
  }

  /** The load goes on for at least ms more. */
  extend(ms: number): void {
    this.stopAt = Math.max(this.stopAt, this.now() + ms);
  }

  record(op: Op, method: string, answer: Answer): Answer {
    this.samples.push({ t: this.now() - answer.ms, op, method, status: answer.status, ms: answer.ms });
    return answer;
  }

  /** A seeded listing; without seeded data, one this run created over a second ago (replicas may lag behind). */
  randomExistingId(): number | undefined {
    if (this.o.seededListings > 0) return 1 + Math.floor(Math.random() * this.o.seededListings);
    const settled = this.listings.filter((listing) => listing.createdAt < this.now() - 1000);
    return settled.length > 0 ? settled[Math.floor(Math.random() * settled.length)].id : undefined;
  }

  result(): TrafficResult {
    return { samples: this.samples, listings: this.listings, unacknowledgedCreates: this.unacknowledgedCreates, staleReads: this.staleReads, freshReads: this.freshReads };
  }

  get runId(): string {
    return this.o.runId;
  }
}

/** 127.0.1.1, 127.0.1.2, …: one source address per simulated user. */
export function userAddress(i: number): string {
  return `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;
}

export class User {
  private token = '';
  private readonly own: Tracked[] = [];
  private created = 0;

  constructor(private readonly traffic: Traffic, private readonly http: HttpClient, private readonly email: string, private readonly index: number) {}

  /** Register and log in, retrying what a client would retry (no answer, 502, 503). */
  async signIn(): Promise<boolean> {
    const register = await this.retrying('register', 'POST', '/auth/register', { email: this.email, password: PASSWORD });
    if (register.status !== 201) return false;
    const login = await this.retrying('login', 'POST', '/auth/login', { email: this.email, password: PASSWORD });
    this.token = json<{ access_token: string }>(login)?.access_token ?? '';
    return login.status === 200 && this.token !== '';
  }

  async loop(): Promise<void> {
    while (this.traffic.running) {
      const dice = Math.random();
      const changeable = this.own.filter((listing) => listing.inDoubt === undefined);
      if (dice < 0.07 || changeable.length === 0) await this.create();
      else if (dice < 0.27) await this.changePrice(changeable[Math.floor(Math.random() * changeable.length)]);
      else if (dice < 0.72 && this.traffic.randomExistingId() !== undefined) {
        const id = this.traffic.randomExistingId()!;
        if (dice < 0.47) await this.read('listing', `/listings/${id}`);
        else await this.read('prices', `/listings/${id}/prices?limit=50`);
      } else await this.browse();
    }
  }

  close(): void {
    this.http.close();
  }

  private async create(): Promise<void> {
    const name = `scale-${this.traffic.runId} u${this.index} #${++this.created}`;
    const price = randomPrice();
    // Only a 503 is retried: the service refused before doing anything. Without an answer the listing may
    // exist, and a second POST would make a duplicate, so it is noted for the checks instead.
    let answer: Answer;
    for (let attempt = 0; ; attempt++) {
      answer = this.traffic.record('create', 'POST', await this.http.request('POST', '/listings', { token: this.token, body: listingBody(name, price) }));
      if (answer.status !== 503 || attempt === 3) break;
      await sleep(200);
    }
    const id = json<{ id: number }>(answer)?.id;
    if (answer.status === 201 && id) {
      const listing = { id, name, prices: [price], createdAt: this.traffic.now() };
      this.own.push(listing);
      this.traffic.listings.push(listing);
    } else if (answer.status === 0 || answer.status >= 500) {
      this.traffic.unacknowledgedCreates.push(name);
    }
  }

  /** PUT is idempotent here, so a PUT without a 2xx is re-sent as is until acknowledged (or in doubt). */
  private async changePrice(listing: Tracked): Promise<void> {
    const current = listing.prices[listing.prices.length - 1];
    let price = randomPrice();
    while (price === current) price = randomPrice();
    const body = listingBody(listing.name, price);
    for (let attempt = 0; attempt < 4; attempt++) {
      const answer = this.traffic.record('update', 'PUT', await this.http.request('PUT', `/listings/${listing.id}`, { token: this.token, body }));
      if (answer.status === 200) {
        listing.prices.push(price);
        if (Math.random() < 0.3) await this.readBack(listing.id, price);
        return;
      }
      if (answer.status !== 0 && answer.status < 500) return; // refused: nothing changed
      await sleep(200);
    }
    listing.inDoubt = price;
  }

  /** An anonymous read right after an acknowledged write: from a replica it may still show the old price. */
  private async readBack(id: number, price: number): Promise<void> {
    const answer = this.traffic.record('read-after-write', 'GET', await this.http.request('GET', `/listings/${id}`));
    if (answer.status === 200 && json<{ latest_price_eur: number }>(answer)?.latest_price_eur === price) this.traffic.freshReads++;
    // A 404: the replica has not even replayed the listing's creation yet.
    else if (answer.status === 200 || answer.status === 404) this.traffic.staleReads++;
  }

  private async read(op: Op, path: string): Promise<Answer> {
    return this.traffic.record(op, 'GET', await this.http.request('GET', path));
  }

  /** A search page, and sometimes the next one or two through the Link header. */
  private async browse(): Promise<void> {
    let path: string | undefined = PAGES[Math.floor(Math.random() * PAGES.length)];
    for (let depth = 0; path && depth < 3 && this.traffic.running; depth++) {
      const answer = await this.read('page', path);
      path = Math.random() < 0.5 ? nextPage(answer) : undefined;
    }
  }

  private async retrying(op: Op, method: string, path: string, body: unknown): Promise<Answer> {
    let answer: Answer;
    for (let attempt = 0; ; attempt++) {
      answer = this.traffic.record(op, method, await this.http.request(method, path, { body }));
      if ((answer.status !== 0 && answer.status !== 502 && answer.status !== 503) || attempt === 4) return answer;
      await sleep(300);
    }
  }
}

function randomPrice(): number {
  return 50_000 + 1000 * Math.floor(Math.random() * 2000);
}

export function listingBody(name: string, price: number) {
  return {
    name,
    description: 'A listing written by the scale test.',
    postal_address: { street_address: '48, boulevard des Capucins', postal_code: '75009', city: 'Paris', country: 'FR' },
    building_type: 'APARTMENT',
    latest_price_eur: price,
    surface_area_m2: 43,
    rooms_count: 2,
    bedrooms_count: 1,
    contact_phone_number: '+33612345678',
  };
}
