import fc from 'fast-check';
import { type ApiResponse, ApiClient, nextPageUrl } from '../support/http';
import type { Listing, PriceEntry } from '../support/listings';
import { type ListingBody, Model, type ModelListing, type SearchFilters, agree, priceAt, search, summaryOf, viewOf } from './listing-model';

/**
 * The commands of the stateful test (fast-check `fc.commands`): each one sends its request, checks the
 * answer against the model, updates the model, and then checks that the API as a whole still agrees
 * with it (every listing's fields and full history, who owns what). Callers are the sequence's three
 * user slots (registered or not, signed in or not, deactivated or not) and an admin.
 */
export interface Real {
  api: ApiClient;
}

type Caller = 0 | 1 | 2 | 'admin';
type Command = fc.AsyncCommand<Model, Real>;

const NO_ACCOUNT = 2_147_483_647;

function tokenOf(m: Model, caller: Caller): string | undefined {
  return caller === 'admin' ? m.admin.token : (m.users[caller].token ?? m.users[caller].staleToken);
}

/** Whether the caller's token is one the API must accept. */
function authenticated(m: Model, caller: Caller): boolean {
  return caller === 'admin' || (m.users[caller].token !== undefined && m.users[caller].active);
}

function pick<T>(list: T[], n: number): T | undefined {
  return list.length === 0 ? undefined : list[n % list.length];
}

function expectStatus(what: string, response: ApiResponse, ...statuses: number[]): void {
  if (!statuses.includes(response.status)) throw new Error(`${what}: expected ${statuses.join(' or ')}, got ${response.status} ${response.text.slice(0, 300)}`);
}

const normalised = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

async function allPages<T>(api: ApiClient, first: string, token?: string): Promise<T[]> {
  const items: T[] = [];
  let url: string | undefined = first;
  while (url) {
    const page: ApiResponse<T[]> = await api.get<T[]>(url, { token });
    expectStatus(`GET ${url}`, page, 200);
    items.push(...page.body);
    url = nextPageUrl(page);
  }
  return items;
}

/** The whole API against the whole model: every listing of the sequence, its history, its search page, who owns what. */
async function verifyAll(m: Model, r: Real): Promise<void> {
  for (const listing of m.listings) {
    const got = await r.api.get<Listing>(`/listings/${listing.id}`);
    if (listing.deleted) {
      expectStatus(`GET /listings/${listing.id} (deleted)`, got, 404);
      expectStatus(`GET /listings/${listing.id}/prices (deleted)`, await r.api.get(`/listings/${listing.id}/prices`), 404);
      continue;
    }
    expectStatus(`GET /listings/${listing.id}`, got, 200);
    agree(`listing ${listing.id}`, got.body, normalised(viewOf(listing)));
    agree(`the history of listing ${listing.id}`, await allPages<PriceEntry>(r.api, `/listings/${listing.id}/prices?limit=1000`), listing.history);
  }
  const inCity = await allPages<Listing>(r.api, `/listings?city=${encodeURIComponent(m.city)}&limit=200`);
  agree(`the listings in ${m.city}`, inCity.map((l) => l.id), m.live().map((l) => l.id));
  for (const [slot, user] of m.users.entries()) {
    if (!authenticated(m, slot as Caller)) continue;
    const mine = await allPages<Listing>(r.api, '/auth/me/listings?limit=200', user.token);
    agree(`who owns what: user ${slot}'s listings`, mine.filter((l) => l.postal_address.city === m.city).map((l) => l.id), m.live().filter((l) => l.ownerId === user.id).map((l) => l.id));
  }
}

abstract class ModelCommand implements Command {
  check(_m: Readonly<Model>): boolean {
    return true;
  }
  abstract run(m: Model, r: Real): Promise<void>;
  abstract toString(): string;
}

/** A command that changes state: the whole API is checked against the model after it. */
abstract class WriteCommand extends ModelCommand {
  async run(m: Model, r: Real): Promise<void> {
    await this.write(m, r);
    await verifyAll(m, r);
  }
  protected abstract write(m: Model, r: Real): Promise<void>;
}

class Register extends WriteCommand {
  constructor(readonly slot: 0 | 1 | 2) {
    super();
  }
  protected async write(m: Model, r: Real) {
    const user = m.users[this.slot];
    const response = await r.api.post<{ id: number; email: string }>('/auth/register', { email: user.email, password: user.password });
    if (user.id !== undefined) return expectStatus('register again', response, 409);
    expectStatus('register', response, 201);
    agree('the registered email', response.body.email, user.email);
    user.id = response.body.id;
  }
  toString(): string {
    return `Register(${this.slot})`;
  }
}

class Login extends ModelCommand {
  constructor(readonly slot: 0 | 1 | 2) {
    super();
  }
  async run(m: Model, r: Real) {
    const user = m.users[this.slot];
    const response = await r.api.post<{ access_token: string }>('/auth/login', { email: user.email, password: user.password });
    if (user.id === undefined || !user.active) return expectStatus(`login (${user.id === undefined ? 'not registered' : 'deactivated'})`, response, 401);
    expectStatus('login', response, 200);
    user.token = response.body.access_token;
    user.staleToken = undefined;
  }
  toString(): string {
    return `Login(${this.slot})`;
  }
}

class Create extends WriteCommand {
  constructor(
    readonly caller: Caller,
    readonly body: ListingBody,
  ) {
    super();
  }
  protected async write(m: Model, r: Real) {
    const body = withCity(this.body, m.city);
    const response = await r.api.post<Listing>('/listings', body, { token: tokenOf(m, this.caller) });
    if (!authenticated(m, this.caller)) return expectStatus('create without a valid token', response, 401);
    expectStatus('create', response, 201);
    const ownerId = this.caller === 'admin' ? m.admin.id : m.users[this.caller].id!;
    const listing: ModelListing = {
      id: response.body.id,
      ownerId,
      body,
      createdDate: response.body.created_date,
      updatedDate: response.body.created_date,
      history: [{ price_eur: body.latest_price_eur, created_date: response.body.created_date }],
      deleted: false,
    };
    agree('the created listing', response.body, normalised(viewOf(listing)));
    agree('created_date = updated_date on creation', response.body.updated_date, response.body.created_date);
    m.listings.push(listing);
  }
  toString(): string {
    return `Create(${this.caller}, ${JSON.stringify(this.body)})`;
  }
}

class Replace extends WriteCommand {
  constructor(
    readonly caller: Caller,
    readonly ref: number,
    readonly body: ListingBody,
    readonly keepPrice: boolean,
  ) {
    super();
  }
  override check(m: Readonly<Model>): boolean {
    return m.listings.length > 0;
  }
  protected async write(m: Model, r: Real) {
    const listing = pick(m.listings, this.ref)!;
    const body = withCity(this.keepPrice ? { ...this.body, latest_price_eur: listing.body.latest_price_eur } : this.body, m.city);
    const response = await r.api.put<Listing>(`/listings/${listing.id}`, body, { token: tokenOf(m, this.caller) });
    if (!authenticated(m, this.caller)) return expectStatus('replace without a valid token', response, 401);
    if (listing.deleted) return expectStatus('replace a deleted listing', response, 404);
    if (!m.mayChange(this.caller, listing)) return expectStatus('replace someone else\'s listing', response, 403);
    expectStatus('replace', response, 200);
    if (response.body.updated_date < listing.updatedDate) throw new Error(`updated_date went back: ${listing.updatedDate} → ${response.body.updated_date}`);
    if (body.latest_price_eur !== listing.body.latest_price_eur) listing.history.push({ price_eur: body.latest_price_eur, created_date: response.body.updated_date });
    listing.body = body;
    listing.updatedDate = response.body.updated_date;
    agree('the replaced listing', response.body, normalised(viewOf(listing)));
  }
  toString(): string {
    return `Replace(${this.caller}, #${this.ref}, ${this.keepPrice ? 'same price' : `price ${this.body.latest_price_eur}`}, ${JSON.stringify(this.body)})`;
  }
}

class Delete extends WriteCommand {
  constructor(
    readonly caller: Caller,
    readonly ref: number,
  ) {
    super();
  }
  override check(m: Readonly<Model>): boolean {
    return m.listings.length > 0;
  }
  protected async write(m: Model, r: Real) {
    const listing = pick(m.listings, this.ref)!;
    const response = await r.api.delete(`/listings/${listing.id}`, { token: tokenOf(m, this.caller) });
    if (!authenticated(m, this.caller)) return expectStatus('delete without a valid token', response, 401);
    if (listing.deleted) return expectStatus('delete a deleted listing', response, 404);
    if (!m.mayChange(this.caller, listing)) return expectStatus('delete someone else\'s listing', response, 403);
    expectStatus('delete', response, 204);
    listing.deleted = true;
  }
  toString(): string {
    return `Delete(${this.caller}, #${this.ref})`;
  }
}

class Transfer extends WriteCommand {
  constructor(
    readonly ref: number,
    readonly to: Caller,
    /** Who asks: the admin, or a user slot (who must be refused). */
    readonly by: Caller,
  ) {
    super();
  }
  override check(m: Readonly<Model>): boolean {
    return m.listings.length > 0;
  }
  protected async write(m: Model, r: Real) {
    const listing = pick(m.listings, this.ref)!;
    const ownerId = this.to === 'admin' ? m.admin.id : (m.users[this.to].id ?? NO_ACCOUNT);
    const response = await r.api.put<{ id: number; owner_id: number }>(`/admin/listings/${listing.id}/owner`, { owner_id: ownerId }, { token: tokenOf(m, this.by) });
    if (!authenticated(m, this.by)) return expectStatus('transfer without a valid token', response, 401);
    if (this.by !== 'admin') return expectStatus('transfer by a non-admin', response, 403);
    // With both wrong, either refusal is right (the service checks the new owner first).
    if (listing.deleted && ownerId === NO_ACCOUNT) return expectStatus('transfer of a deleted listing to no account', response, 404, 422);
    if (listing.deleted) return expectStatus('transfer of a deleted listing', response, 404);
    if (ownerId === NO_ACCOUNT) return expectStatus('transfer to an account that does not exist', response, 422);
    expectStatus('transfer', response, 200);
    agree('the transfer', response.body, { id: listing.id, owner_id: ownerId });
    listing.ownerId = ownerId;
  }
  toString(): string {
    return `Transfer(#${this.ref} to ${this.to} by ${this.by})`;
  }
}

class SetActive extends WriteCommand {
  constructor(
    readonly slot: 0 | 1 | 2,
    readonly active: boolean,
    readonly by: Caller,
  ) {
    super();
  }
  protected async write(m: Model, r: Real) {
    const user = m.users[this.slot];
    const response = await r.api.patch<{ active: boolean }>(`/admin/users/${user.id ?? NO_ACCOUNT}`, { active: this.active }, { token: tokenOf(m, this.by) });
    if (!authenticated(m, this.by)) return expectStatus('activation change without a valid token', response, 401);
    if (this.by !== 'admin') return expectStatus('activation change by a non-admin', response, 403);
    if (user.id === undefined) return expectStatus('activation change of an account that does not exist', response, 404);
    expectStatus('activation change', response, 200);
    agree('the active flag', response.body.active, this.active);
    if (!this.active && user.active) {
      // Deactivation makes every earlier token stale, even after a reactivation.
      user.staleToken = user.token ?? user.staleToken;
      user.token = undefined;
    }
    user.active = this.active;
  }
  toString(): string {
    return `SetActive(${this.slot}, ${this.active}, by ${this.by})`;
  }
}

class Search extends ModelCommand {
  constructor(
    readonly filters: SearchFilters,
    readonly changedSinceRef: number | undefined,
    readonly limit: number,
  ) {
    super();
  }
  async run(m: Model, r: Real) {
    const filters = { ...this.filters };
    if (this.changedSinceRef !== undefined) {
      const dates = m.listings.flatMap((l) => l.history.map((e) => e.created_date)).sort();
      filters.changed_since = pick(dates, this.changedSinceRef);
    }
    const query = new URLSearchParams({ city: m.city, limit: String(this.limit) });
    for (const [key, value] of Object.entries(filters)) if (value !== undefined) query.set(key, String(value));
    const got = await allPages<Listing>(r.api, `/listings?${query.toString()}`);
    const expected = search(m.live(), filters);
    agree(`search ${query.toString()}`, got.map((l) => l.id), expected.map((l) => l.id));
    agree(`search ${query.toString()} (bodies)`, got, normalised(expected.map(viewOf)));
  }
  toString(): string {
    return `Search(${JSON.stringify(this.filters)}${this.changedSinceRef === undefined ? '' : `, changed_since #${this.changedSinceRef}`}, limit ${this.limit})`;
  }
}

class MyListings extends ModelCommand {
  constructor(readonly slot: 0 | 1 | 2) {
    super();
  }
  async run(m: Model, r: Real) {
    const user = m.users[this.slot];
    const token = user.token ?? user.staleToken;
    const first = await r.api.get<Listing[]>('/auth/me/listings?limit=2', { token });
    if (!authenticated(m, this.slot)) return expectStatus('my listings without a valid token', first, 401);
    expectStatus('my listings', first, 200);
    const mine = await allPages<Listing>(r.api, '/auth/me/listings?limit=2', token);
    agree(`user ${this.slot}'s listings`, mine.filter((l) => l.postal_address.city === m.city).map((l) => l.id), m.live().filter((l) => l.ownerId === user.id).map((l) => l.id));
  }
  toString(): string {
    return `MyListings(${this.slot})`;
  }
}

class History extends ModelCommand {
  constructor(
    readonly ref: number,
    readonly limit: number,
    readonly window: [number, number] | undefined,
  ) {
    super();
  }
  override check(m: Readonly<Model>): boolean {
    return m.listings.length > 0;
  }
  async run(m: Model, r: Real) {
    const listing = pick(m.listings, this.ref)!;
    let query = `limit=${this.limit}`;
    let expected = listing.history;
    if (this.window) {
      // from (inclusive) and to (exclusive), at entry dates of the history.
      const [a, b] = [pick(listing.history, this.window[0])!.created_date, pick(listing.history, this.window[1])!.created_date].sort();
      if (a === b) return;
      query += `&from=${a}&to=${b}`;
      expected = listing.history.filter((e) => e.created_date >= a && e.created_date < b);
    }
    const first = await r.api.get(`/listings/${listing.id}/prices?${query}`);
    if (listing.deleted) return expectStatus('history of a deleted listing', first, 404);
    agree(`the history of listing ${listing.id} (${query})`, await allPages<PriceEntry>(r.api, `/listings/${listing.id}/prices?${query}`), expected);
  }
  toString(): string {
    return `History(#${this.ref}, limit ${this.limit}${this.window ? `, window ${this.window.join('..')}` : ''})`;
  }
}

class PriceInsights extends ModelCommand {
  constructor(
    readonly ref: number,
    readonly entry: number,
    readonly offsetMs: number,
  ) {
    super();
  }
  override check(m: Readonly<Model>): boolean {
    return m.listings.length > 0;
  }
  async run(m: Model, r: Real) {
    const listing = pick(m.listings, this.ref)!;
    const summary = await r.api.get(`/listings/${listing.id}/prices/summary`);
    const at = new Date(Date.parse(pick(listing.history, this.entry)!.created_date) + this.offsetMs).toISOString();
    const priceAtResponse = await r.api.get<PriceEntry>(`/listings/${listing.id}/prices/at?date=${at}`);
    const chart = await r.api.get(`/listings/${listing.id}/prices/chart.svg`);
    if (listing.deleted) {
      for (const [what, response] of [['summary', summary], ['price at', priceAtResponse], ['chart', chart]] as const) expectStatus(`${what} of a deleted listing`, response, 404);
      return;
    }
    expectStatus('summary', summary, 200);
    agree(`the price summary of listing ${listing.id}`, summary.body, normalised(summaryOf(listing)));
    const inForce = priceAt(listing, at);
    if (!inForce) expectStatus(`price at ${at}, before the first price`, priceAtResponse, 404);
    else agree(`the price of listing ${listing.id} at ${at}`, priceAtResponse.body, inForce);
    expectStatus('chart', chart, 200);
    if (!chart.headers.get('content-type')?.startsWith('image/svg+xml') || !chart.text.startsWith('<svg')) throw new Error(`the chart is not SVG: ${chart.text.slice(0, 100)}`);
  }
  toString(): string {
    return `PriceInsights(#${this.ref}, entry ${this.entry} ${this.offsetMs >= 0 ? '+' : ''}${this.offsetMs} ms)`;
  }
}

function withCity(body: ListingBody, city: string): ListingBody {
  return { ...body, postal_address: { ...body.postal_address, city } };
}

// --- generators ---------------------------------------------------------------------------------------

const slot = fc.constantFrom<0 | 1 | 2>(0, 1, 2);
const caller = fc.oneof({ weight: 3, arbitrary: slot }, { weight: 1, arbitrary: fc.constant<Caller>('admin') });
/** Any text, at most `max` code points (a grapheme can be several). */
const text = (max: number) => fc.string({ unit: 'grapheme', minLength: 1, maxLength: max }).filter((s) => !s.includes('\u0000') && [...s].length <= max);
const price = fc.oneof(fc.constantFrom(0, 100_000, 150_000, 200_000, 999_999_999_999), fc.integer({ min: 1, max: 2_000_000 }));
const POSTAL_CODES = ['75009', '10115', '28001'];
const COUNTRIES = ['FR', 'DE', 'ES'];

export const listingBody: fc.Arbitrary<ListingBody> = fc
  .record(
    {
      name: text(40),
      description: text(80),
      street: text(40),
      postal_code: fc.constantFrom(...POSTAL_CODES),
      country: fc.constantFrom(...COUNTRIES),
      building_type: fc.constantFrom('STUDIO', 'APARTMENT', 'HOUSE'),
      latest_price_eur: price,
      surface_area_m2: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.double({ min: 0, max: 300, noNaN: true })),
      rooms_count: fc.integer({ min: 1, max: 8 }),
      bedrooms_count: fc.integer({ min: 0, max: 8 }),
      contact_phone_number: fc.option(fc.constantFrom('+33612345678', '+4930123456'), { nil: undefined }),
    },
    { requiredKeys: ['name', 'description', 'street', 'postal_code', 'country', 'building_type', 'latest_price_eur', 'surface_area_m2', 'rooms_count', 'bedrooms_count'] },
  )
  .map(({ street, postal_code, country, ...rest }) => ({ ...rest, postal_address: { street_address: street, postal_code, city: '', country } }));

const filters: fc.Arbitrary<SearchFilters> = fc.record(
  {
    sort: fc.constantFrom('id' as const, 'price' as const, '-price' as const, '-created' as const, 'drop' as const),
    building_type: fc.constantFrom('STUDIO', 'APARTMENT', 'HOUSE'),
    postal_code: fc.constantFrom(...POSTAL_CODES),
    country: fc.constantFrom(...COUNTRIES),
    min_price: price,
    max_price: price,
    min_rooms: fc.integer({ min: 1, max: 8 }),
    min_surface: fc.integer({ min: 0, max: 300 }),
    min_drop_pct: fc.oneof(fc.constantFrom(0, 0.01, 10, 50, 100), fc.integer({ min: 0, max: 10_000 }).map((n) => n / 100)),
  },
  { requiredKeys: [] },
).map((f) => (f.min_price !== undefined && f.max_price !== undefined && f.min_price > f.max_price ? { ...f, min_price: f.max_price, max_price: f.min_price } : f));

export const commandArbitraries: fc.Arbitrary<Command>[] = [
  slot.map((s) => new Register(s)),
  slot.map((s) => new Login(s)),
  fc.tuple(caller, listingBody).map(([c, b]) => new Create(c, b)),
  fc.tuple(caller, fc.nat(), listingBody, fc.boolean()).map(([c, ref, b, keep]) => new Replace(c, ref, b, keep)),
  fc.tuple(caller, fc.nat(), listingBody).map(([c, ref, b]) => new Replace(c, ref, b, false)),
  fc.tuple(caller, fc.nat()).map(([c, ref]) => new Delete(c, ref)),
  fc.tuple(fc.nat(), caller, fc.oneof({ weight: 3, arbitrary: fc.constant<Caller>('admin') }, { weight: 1, arbitrary: slot })).map(([ref, to, by]) => new Transfer(ref, to, by)),
  fc.tuple(slot, fc.boolean(), fc.oneof({ weight: 3, arbitrary: fc.constant<Caller>('admin') }, { weight: 1, arbitrary: slot })).map(([s, active, by]) => new SetActive(s, active, by)),
  fc.tuple(filters, fc.option(fc.nat(), { nil: undefined }), fc.integer({ min: 1, max: 4 })).map(([f, since, limit]) => new Search(f, since, limit)),
  slot.map((s) => new MyListings(s)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 4 }), fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: undefined })).map(([ref, limit, window]) => new History(ref, limit, window)),
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(-1, 0, 1, -1000, 60_000)).map(([ref, entry, offset]) => new PriceInsights(ref, entry, offset)),
];
