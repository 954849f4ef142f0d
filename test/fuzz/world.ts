import { createHash } from 'node:crypto';
import pg from 'pg';
import { aListing } from '../support/listings';
import { type SignedIn, type TestApp, signUp, signUpAdmin } from '../support/test-app';

/**
 * What the fuzzer knows about the service's state, kept in step with every response: its accounts
 * (an owner, another user, an admin, and two "victims" that only admin operations target), the
 * listings it created and who owns them, the refresh tokens it was given and whether they are live.
 * It starts again with fresh accounts every `epochCases` cases, so the state stays small.
 *
 * `fingerprint` hashes every row the fuzzer's requests could touch (its accounts, their refresh tokens,
 * their listings and those listings' histories, and the account with a given email): comparing it
 * before and after a rejected request proves the request changed nothing, at the cost of one query.
 */
export type Actor = 'anonymous' | 'owner' | 'other' | 'admin';
export const ACTORS: Actor[] = ['anonymous', 'owner', 'other', 'admin'];

export interface Account {
  id: number;
  email: string;
  password: string;
  accessToken: string;
}

export interface KnownListing {
  ownerId: number;
  createdDate: string;
}

type TokenState = 'live' | 'spent' | 'revoked';
interface KnownRefreshToken {
  userId: number;
  family: string;
}

const FINGERPRINT = `
  SELECT md5(concat_ws('|',
    (SELECT string_agg(concat_ws(',', id, email, password_hash, role, active, token_version), ';' ORDER BY id) FROM app_user WHERE id = ANY($1::int4[])),
    (SELECT string_agg(concat_ws(',', id, used_at, revoked_at), ';' ORDER BY id) FROM refresh_token WHERE user_id = ANY($1::int4[])),
    (SELECT string_agg(l::text, ';' ORDER BY id) FROM listing l WHERE owner_id = ANY($1::int4[]) OR id = ANY($2::int4[])),
    (SELECT count(*) || ',' || coalesce(max(id), 0) || ',' || coalesce(sum(price_eur), 0) FROM listing_price
      WHERE listing_id IN (SELECT id FROM listing WHERE owner_id = ANY($1::int4[]) OR id = ANY($2::int4[]))),
    (SELECT string_agg(concat_ws(',', id, role, active, token_version), ';') FROM app_user WHERE email = $3)
  )) AS fingerprint`;

export class FuzzWorld {
  owner!: Account;
  other!: Account;
  admin!: Account;
  victims: Account[] = [];
  /** Accounts the fuzzer registered, by normalised email (kept across epochs: their emails stay taken). */
  readonly registered = new Map<string, { id: number; password: string }>();
  readonly listings = new Map<number, KnownListing>();
  /** Ids of listings deleted through the API: certainly gone. */
  readonly gone: number[] = [];
  readonly refreshTokens = new Map<string, KnownRefreshToken>();
  /** Cursors seen in Link headers, by operation and sort. */
  readonly cursors = new Map<string, string[]>();
  epochStart = new Date();
  private casesInEpoch = 0;
  private epochs = 0;

  private constructor(
    readonly testApp: TestApp,
    readonly db: pg.Client,
    private readonly epochCases: number,
  ) {}

  static async create(testApp: TestApp, databaseUrl: string, epochCases = 300): Promise<FuzzWorld> {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const world = new FuzzWorld(testApp, db, epochCases);
    await world.newEpoch();
    return world;
  }

  async close(): Promise<void> {
    await this.db.end();
  }

  /** Called before each case: a new epoch every `epochCases` cases. */
  async beforeCase(): Promise<void> {
    this.casesInEpoch += 1;
    if (this.casesInEpoch > this.epochCases) await this.newEpoch();
  }

  get epochCount(): number {
    return this.epochs;
  }

  private async newEpoch(): Promise<void> {
    this.epochs += 1;
    this.casesInEpoch = 1;
    this.listings.clear();
    this.cursors.clear();
    this.epochStart = new Date();
    const [owner, other, admin, ...victims] = await Promise.all([
      signUp(this.testApp, 'fuzz-owner'),
      signUp(this.testApp, 'fuzz-other'),
      signUpAdmin(this.testApp),
      signUp(this.testApp, 'fuzz-victim'),
      signUp(this.testApp, 'fuzz-victim'),
    ]);
    [this.owner, this.other, this.admin] = [owner, other, admin].map((s) => this.adopt(s));
    this.victims = victims.map((s) => this.adopt(s));
    for (const account of [this.owner, this.owner, this.owner, this.other, this.admin]) {
      const created = await this.testApp.api.post<{ id: number; created_date: string }>('/listings', aListing(), { token: account.accessToken });
      if (created.status !== 201) throw new Error(`fuzz world: creating a listing failed: ${created.status} ${created.text}`);
      this.listings.set(created.body.id, { ownerId: account.id, createdDate: created.body.created_date });
    }
  }

  private adopt(signedIn: SignedIn): Account {
    this.issued(signedIn.refreshToken, signedIn.id);
    return { id: signedIn.id, email: signedIn.email, password: signedIn.password, accessToken: signedIn.accessToken };
  }

  account(actor: Actor): Account | undefined {
    return actor === 'anonymous' ? undefined : this[actor];
  }

  /** The accounts an email or password placeholder picks from. */
  accountsForPicks(): { id: number; email: string; password: string }[] {
    const registered = [...this.registered.entries()].slice(-5).map(([email, { id, password }]) => ({ id, email, password }));
    return [this.owner, this.other, this.admin, ...this.victims, ...registered];
  }

  /** Every account id whose rows the fingerprint covers. */
  accountIds(): number[] {
    return [this.owner.id, this.other.id, this.admin.id, ...this.victims.map((v) => v.id), ...[...this.registered.values()].slice(-20).map((r) => r.id)];
  }

  async fingerprint(email: string | undefined): Promise<string> {
    const ids = [...this.listings.keys(), ...this.gone.slice(-50)];
    const { rows } = await this.db.query<{ fingerprint: string }>(FINGERPRINT, [this.accountIds(), ids, email ?? '']);
    return rows[0].fingerprint;
  }

  async userExists(id: number): Promise<boolean> {
    return (await this.db.query('SELECT 1 FROM app_user WHERE id = $1', [id])).rowCount === 1;
  }

  async accountByEmail(email: string): Promise<{ id: number; active: boolean } | undefined> {
    const { rows } = await this.db.query<{ id: number; active: boolean }>('SELECT id, active FROM app_user WHERE email = $1', [email]);
    return rows[0];
  }

  /** A password the fuzzer knows for this email (its own accounts, and those it registered). */
  passwordOf(email: string): string | undefined {
    const own = [this.owner, this.other, this.admin, ...this.victims].find((a) => a.email === email);
    return own?.password ?? this.registered.get(email)?.password;
  }

  // --- refresh tokens -------------------------------------------------------------------------------

  /** The state of a refresh token, read from the database (by its hash, as the service stores it). */
  async tokenState(token: string): Promise<TokenState | 'unknown'> {
    const hash = createHash('sha256').update(token).digest('hex');
    const { rows } = await this.db.query<{ used_at: Date | null; revoked_at: Date | null; expires_at: Date; current: boolean }>(
      `SELECT t.used_at, t.revoked_at, t.expires_at, t.token_version = u.token_version AND u.active AS current
       FROM refresh_token t JOIN app_user u ON u.id = t.user_id WHERE t.token_hash = $1`,
      [hash],
    );
    const row = rows[0];
    if (!row) return 'unknown';
    if (row.revoked_at) return 'revoked';
    // A used token is a replay whatever else is true of it (the service checks that first).
    if (row.used_at) return 'spent';
    // Issued before the account's version moved on (password change, logout-all, role change,
    // deactivation), or expired: refused, nothing written.
    return !row.current || row.expires_at.getTime() <= Date.now() ? 'revoked' : 'live';
  }

  /** Refresh tokens a request may present: the actor's latest ones and the latest of anyone's. */
  tokensFor(actor: Actor): string[] {
    const id = this.account(actor)?.id;
    const all = [...this.refreshTokens.entries()];
    const own = all.filter(([, t]) => t.userId === id).map(([token]) => token);
    return [...own.slice(-4), ...all.slice(-4).map(([token]) => token)];
  }

  issued(token: string, userId: number, family = token): void {
    this.refreshTokens.set(token, { userId, family });
    if (this.refreshTokens.size > 200) this.refreshTokens.delete(this.refreshTokens.keys().next().value!);
  }

  familyOf(token: string): string | undefined {
    return this.refreshTokens.get(token)?.family;
  }

  /**
   * After an admin changed one of the fuzzer's own actors (an odd request can carry the admin's token
   * while its actor's account is the target): a role change or a deactivation ends that account's
   * tokens. Put the account back as it was and sign it in again, so that the following cases still
   * have their owner, other user and admin.
   */
  async restoreActor(accountId: number): Promise<void> {
    const actor = (['owner', 'other', 'admin'] as const).find((a) => this.account(a)?.id === accountId);
    const account = actor && this.account(actor);
    if (!actor || !account) return;
    const { rows } = await this.db.query<{ role: string; active: boolean }>('SELECT role, active FROM app_user WHERE id = $1', [accountId]);
    const role = actor === 'admin' ? 'ADMIN' : 'USER';
    if (rows[0]?.role === role && rows[0].active) return;
    await this.db.query('UPDATE app_user SET role = $2, active = true WHERE id = $1', [accountId, role]);
    await this.signInAgain(actor, account.password);
  }

  /** Which of the world's actors an `Authorization: Bearer <jwt>` header speaks for (from the token's `sub`). */
  actorOfAuthorization(authorization: string | undefined): Actor | undefined {
    const payload = authorization?.split(' ')[1]?.split('.')[1];
    if (!payload) return undefined;
    let sub: unknown;
    try {
      sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    } catch {
      return undefined;
    }
    return (['owner', 'other', 'admin'] as const).find((actor) => String(this[actor].id) === sub);
  }

  /** After a password change: sign in again with the new password (earlier tokens no longer work). */
  async signInAgain(actor: Actor, password: string): Promise<void> {
    const account = this.account(actor);
    if (!account) return;
    account.password = password;
    const login = await this.testApp.api.post<{ access_token: string; refresh_token: string }>('/auth/login', { email: account.email, password });
    if (login.status !== 200) throw new Error(`fuzz world: signing in again as ${actor} failed: ${login.status} ${login.text}`);
    account.accessToken = login.body.access_token;
    this.issued(login.body.refresh_token, account.id);
  }

  // --- listings and cursors -------------------------------------------------------------------------

  listingIds(): number[] {
    return [...this.listings.keys()].sort((a, b) => a - b);
  }

  rememberCursor(operationId: string, sort: string, cursor: string): void {
    const key = `${operationId}|${sort}`;
    const list = this.cursors.get(key) ?? [];
    if (!list.includes(cursor)) list.push(cursor);
    if (list.length > 20) list.shift();
    this.cursors.set(key, list);
  }

  cursorFor(operationId: string, sort: string, pick: number): string | undefined {
    const list = this.cursors.get(`${operationId}|${sort}`) ?? [];
    return list.length === 0 ? undefined : list[pick % list.length];
  }
}
