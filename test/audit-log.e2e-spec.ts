import pg from 'pg';
import { AuditLog, AuditRetentionPurgeJob } from '@app/audit';
import { PrismaService, SqlService } from '@app/database';
import { type ApiResponse, nextPageUrl } from './support/http';
import { type Listing, aListing } from './support/listings';
import { type SignedIn, type TestApp, signUp, signUpAdmin, startTestApp, uniqueEmail } from './support/test-app';

interface Entry {
  id: number;
  at: string;
  action: string;
  actor: { user_id: number | null; api_key_id: number | null; role: string | null };
  target: { type: string; id: number | null };
  request_id: string | null;
  ip: string | null;
  changes: Record<string, [unknown, unknown]>;
}

interface ErrorBody {
  message: string;
  errors?: { field: string; message: string }[];
}

/**
 * The audit log end to end: the real service on the run's database, each change made over HTTP, its entry read back
 * through GET /admin/audit-log (so every entry is also checked against the served OpenAPI document), and the table's
 * append-only rule and purge exercised directly in PostgreSQL.
 */
describe('audit log', () => {
  let testApp: TestApp;
  let owner: SignedIn;
  let other: SignedIn;
  let admin: SignedIn;
  let db: pg.Pool;
  /** Every secret this file hands the service: none may appear anywhere in audit_log. */
  const secrets = new Set<string>();

  beforeAll(async () => {
    testApp = await startTestApp({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    [owner, other, admin] = await Promise.all([signUp(testApp, 'audit-owner'), signUp(testApp, 'audit-other'), signUpAdmin(testApp)]);
    for (const account of [owner, other, admin]) [account.password, account.accessToken, account.refreshToken].forEach((s) => secrets.add(s));
    db = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL, max: 2 });
  });

  afterAll(async () => {
    await db?.end();
    await testApp?.close();
  });

  async function auditLog(query: string, as: SignedIn = admin): Promise<Entry[]> {
    const response = await as.api.get<Entry[]>(`/admin/audit-log?${query}`);
    expect(response.status).toBe(200);
    return response.body;
  }

  const ofListing = (id: number) => auditLog(`target_type=listing&target_id=${id}`);
  const requestIdOf = (response: ApiResponse) => response.headers.get('x-request-id');

  async function createListing(as: SignedIn, body = aListing()): Promise<ApiResponse<Listing>> {
    const created = await as.api.post<Listing>('/listings', body);
    expect(created.status).toBe(201);
    return created;
  }

  describe('listings', () => {
    it('create, replace and delete: one entry each, newest first, with the actor, the request id, the IP and the before/after values', async () => {
      const body = aListing({ latest_price_eur: 300_000 });
      const created = await createListing(owner, body);
      const id = created.body.id;
      const replaced = await owner.api.put<Listing>(`/listings/${id}`, {
        ...body,
        latest_price_eur: 310_000,
        postal_address: { ...(body.postal_address as object), city: 'Lyon' },
      });
      expect(replaced.status).toBe(200);
      // An admin deletes it: the actor is the admin, with its role.
      const deleted = await admin.api.delete(`/listings/${id}`);
      expect(deleted.status).toBe(204);

      const [deletion, replacement, creation] = await ofListing(id);
      expect(creation).toMatchObject({
        action: 'listing.created',
        actor: { user_id: owner.id, api_key_id: null, role: 'USER' },
        target: { type: 'listing', id },
        request_id: requestIdOf(created),
        ip: '127.0.0.1',
      });
      expect(creation.changes).toMatchObject({
        name: [null, body.name],
        latest_price_eur: [null, 300_000],
        'postal_address.city': [null, 'Paris'],
        contact_phone_number: [null, '+33612345678'],
      });
      expect(creation.changes).not.toHaveProperty('id');
      expect(creation.changes).not.toHaveProperty('updated_date');

      // Only what changed.
      expect(replacement).toMatchObject({ action: 'listing.replaced', actor: { user_id: owner.id, role: 'USER' }, request_id: requestIdOf(replaced) });
      expect(replacement.changes).toEqual({ latest_price_eur: [300_000, 310_000], 'postal_address.city': ['Paris', 'Lyon'] });

      expect(deletion).toMatchObject({ action: 'listing.deleted', actor: { user_id: admin.id, api_key_id: null, role: 'ADMIN' }, request_id: requestIdOf(deleted) });
      expect(deletion.changes).toMatchObject({ name: [body.name, null], latest_price_eur: [310_000, null], 'postal_address.city': ['Lyon', null] });
      expect(creation.id).toBeLessThan(replacement.id);
      expect(replacement.id).toBeLessThan(deletion.id);
    });

    it('the client\'s X-Request-Id is the one recorded', async () => {
      const requestId = `audit-test-${Date.now()}`;
      const created = await owner.api.post<Listing>('/listings', aListing(), { headers: { 'x-request-id': requestId } });
      expect(created.status).toBe(201);
      expect((await ofListing(created.body.id))[0].request_id).toBe(requestId);
    });

    it('a refused or failed write leaves no entry: a non-owner\'s PUT (403) and DELETE (403), a PUT breaking the rules (422)', async () => {
      const body = aListing();
      const { body: listing } = await createListing(owner, body);
      expect((await other.api.put(`/listings/${listing.id}`, { ...body, latest_price_eur: 1 })).status).toBe(403);
      expect((await other.api.delete(`/listings/${listing.id}`)).status).toBe(403);
      expect((await owner.api.put(`/listings/${listing.id}`, { ...body, rooms_count: -1 })).status).toBe(422);
      expect((await ofListing(listing.id)).map((entry) => entry.action)).toEqual(['listing.created']);
    });

    it('an entry is rolled back with its change: recorded, then the transaction fails (node-postgres and Prisma transactions alike)', async () => {
      const auditLog = testApp.app.get(AuditLog);
      const targetId = 2_100_000_000 + Math.floor(Math.random() * 10_000_000);
      const entry = { action: 'listing.replaced', actor: { id: owner.id, role: 'USER' }, origin: { requestId: 'audit-rollback', ip: '127.0.0.1' }, target: { type: 'listing', id: targetId } } as const;
      const failed = new Error('the write failed after its audit entry');
      await expect(
        testApp.app.get(SqlService).transaction(async (tx) => {
          await auditLog.record(tx, entry);
          throw failed;
        }),
      ).rejects.toBe(failed);
      await expect(
        testApp.app.get(PrismaService).$transaction(async (tx) => {
          await auditLog.recordInPrisma(tx, entry);
          throw failed;
        }),
      ).rejects.toBe(failed);
      expect(await ofListing(targetId)).toEqual([]);
      // The same entry committed is there (so the check above could fail).
      await testApp.app.get(SqlService).transaction((tx) => auditLog.record(tx, entry));
      expect(await ofListing(targetId)).toHaveLength(1);
    });

    it('a replayed Idempotency-Key creates nothing and records nothing again', async () => {
      const body = aListing();
      const headers = { 'idempotency-key': `audit-${Date.now()}` };
      const first = await owner.api.post<Listing>('/listings', body, { headers });
      const again = await owner.api.post<Listing>('/listings', body, { headers });
      expect([first.status, again.status]).toEqual([201, 201]);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect((await ofListing(first.body.id)).map((entry) => entry.action)).toEqual(['listing.created']);
    });

    it('an ownership transfer records the previous and the new owner, by the admin who made it', async () => {
      const { body: listing } = await createListing(owner);
      const transferred = await admin.api.put(`/admin/listings/${listing.id}/owner`, { owner_id: other.id });
      expect(transferred.status).toBe(200);
      const [entry] = await ofListing(listing.id);
      expect(entry).toMatchObject({
        action: 'listing.ownership_transferred',
        actor: { user_id: admin.id, role: 'ADMIN' },
        target: { type: 'listing', id: listing.id },
        request_id: requestIdOf(transferred),
        changes: { owner_id: [owner.id, other.id] },
      });
      // Refused (unknown account): nothing recorded.
      expect((await admin.api.put(`/admin/listings/${listing.id}/owner`, { owner_id: 2_000_000_000 })).status).toBe(422);
      expect(await ofListing(listing.id)).toHaveLength(2);
    });
  });

  describe('accounts', () => {
    const ofUser = (id: number) => auditLog(`target_type=user&target_id=${id}`);

    it('registration: the new account is actor and target, with its email and role, never its password', async () => {
      const email = uniqueEmail('audit-register');
      const password = 'a registration password to look for';
      secrets.add(password);
      const registered = await testApp.api.post<{ id: number }>('/auth/register', { email, password });
      expect(registered.status).toBe(201);
      const [entry] = await ofUser(registered.body.id);
      expect(entry).toMatchObject({
        action: 'user.registered',
        actor: { user_id: registered.body.id, api_key_id: null, role: 'USER' },
        target: { type: 'user', id: registered.body.id },
        request_id: requestIdOf(registered),
        ip: '127.0.0.1',
      });
      expect(entry.changes).toEqual({ email: [null, email], role: [null, 'USER'], active: [null, true] });
    });

    it('a password change is recorded without any value; a wrong current password records nothing', async () => {
      const account = await signUp(testApp, 'audit-password');
      const newPassword = 'the new password to look for';
      secrets.add(newPassword);
      expect((await account.api.post('/auth/me/password', { current_password: 'a wrong guess here', new_password: newPassword })).status).toBe(401);
      const changed = await account.api.post('/auth/me/password', { current_password: account.password, new_password: newPassword });
      expect(changed.status).toBe(204);
      const entries = await ofUser(account.id);
      expect(entries.map((entry) => entry.action)).toEqual(['user.password_changed', 'user.registered']);
      expect(entries[0]).toMatchObject({ actor: { user_id: account.id, role: 'USER' }, request_id: requestIdOf(changed) });
      expect(entries[0].changes).toEqual({});
    });

    it('an admin\'s role and activity changes: one entry per kind of change, by the admin; writing the same values records nothing', async () => {
      const account = await signUp(testApp, 'audit-admin-change');
      const both = await admin.api.patch(`/admin/users/${account.id}`, { role: 'ADMIN', active: false });
      expect(both.status).toBe(200);
      expect((await admin.api.patch(`/admin/users/${account.id}`, { role: 'ADMIN', active: false })).status).toBe(200);
      const [active, role] = await ofUser(account.id);
      expect(role).toMatchObject({ action: 'user.role_changed', actor: { user_id: admin.id, role: 'ADMIN' }, request_id: requestIdOf(both), changes: { role: ['USER', 'ADMIN'] } });
      expect(active).toMatchObject({ action: 'user.active_changed', actor: { user_id: admin.id }, request_id: requestIdOf(both), changes: { active: [true, false] } });
      expect((await ofUser(account.id)).map((entry) => entry.action)).toEqual(['user.active_changed', 'user.role_changed', 'user.registered']);
    });

    it('failed sign-ins: no actor, the account as target when the email has one, never what was typed', async () => {
      const wrong = 'a wrong password to look for';
      secrets.add(wrong);
      const unknownEmail = uniqueEmail('audit-nobody');
      const known = await testApp.api.post('/auth/login', { email: other.email, password: wrong }, { headers: { 'x-request-id': `audit-fail-known-${Date.now()}` } });
      const unknown = await testApp.api.post('/auth/login', { email: unknownEmail, password: wrong }, { headers: { 'x-request-id': `audit-fail-unknown-${Date.now()}` } });
      expect([known.status, unknown.status]).toEqual([401, 401]);

      const failures = await auditLog('action=auth.sign_in_failed&limit=200');
      const onKnown = failures.find((entry) => entry.request_id === requestIdOf(known));
      const onUnknown = failures.find((entry) => entry.request_id === requestIdOf(unknown));
      expect(onKnown).toMatchObject({ actor: { user_id: null, api_key_id: null, role: null }, target: { type: 'user', id: other.id }, ip: '127.0.0.1' });
      expect(onUnknown).toMatchObject({ actor: { user_id: null, api_key_id: null, role: null }, target: { type: 'user', id: null }, ip: '127.0.0.1' });
      expect([onKnown?.changes, onUnknown?.changes]).toEqual([{}, {}]);
      const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log t WHERE t::text LIKE '%' || $1 || '%'`, [unknownEmail]);
      expect(rows[0].n).toBe(0);
      // A successful sign-in is not a change: nothing recorded.
      const before = (await ofUser(owner.id)).length;
      expect((await testApp.api.post('/auth/login', { email: owner.email, password: owner.password })).status).toBe(200);
      expect(await ofUser(owner.id)).toHaveLength(before);
    });
  });

  describe('webhook subscriptions', () => {
    it('create, change, rotate the secret, delete: each recorded with what changed, and never a secret', async () => {
      const url = 'http://127.0.0.1:9/audit-hook';
      const created = await owner.api.post<{ id: number; secret: string }>('/webhooks', { url, events: ['listing.created'] });
      expect(created.status).toBe(201);
      secrets.add(created.body.secret);
      const id = created.body.id;
      const changed = await owner.api.patch(`/webhooks/${id}`, { description: 'audited', events: ['listing.created', 'listing.deleted'] });
      expect(changed.status).toBe(200);
      const rotated = await owner.api.post<{ secret: string }>(`/webhooks/${id}/secret`);
      expect(rotated.status).toBe(200);
      secrets.add(rotated.body.secret);
      // Not the owner's: 404 and nothing recorded.
      expect((await other.api.patch(`/webhooks/${id}`, { description: 'not yours' })).status).toBe(404);
      expect((await other.api.delete(`/webhooks/${id}`)).status).toBe(404);
      const deleted = await owner.api.delete(`/webhooks/${id}`);
      expect(deleted.status).toBe(204);

      const entries = await auditLog(`target_type=webhook&target_id=${id}`);
      expect(entries.map((entry) => entry.action)).toEqual(['webhook.deleted', 'webhook.secret_rotated', 'webhook.updated', 'webhook.created']);
      const [deletion, rotation, update, creation] = entries;
      expect(creation).toMatchObject({ actor: { user_id: owner.id, role: 'USER' }, request_id: requestIdOf(created) });
      expect(creation.changes).toEqual({ url: [null, url], events: [null, ['listing.created']], active: [null, true] });
      expect(update).toMatchObject({ request_id: requestIdOf(changed) });
      expect(update.changes).toEqual({ description: [null, 'audited'], events: [['listing.created'], ['listing.created', 'listing.deleted']] });
      expect(rotation).toMatchObject({ request_id: requestIdOf(rotated) });
      expect(rotation.changes).toEqual({});
      expect(deletion).toMatchObject({ request_id: requestIdOf(deleted) });
      expect(deletion.changes).toMatchObject({ url: [url, null], description: ['audited', null] });
    });
  });

  describe('GET /admin/audit-log', () => {
    it('admins only: 401 without a token, 403 for a user', async () => {
      expect((await testApp.api.get('/admin/audit-log')).status).toBe(401);
      expect((await owner.api.get('/admin/audit-log')).status).toBe(403);
    });

    it('filters by actor and action, newest first, paginated by key through the Link header', async () => {
      const actor = await signUp(testApp, 'audit-pages');
      const ids: number[] = [];
      for (let i = 0; i < 3; i += 1) ids.push((await createListing(actor)).body.id);

      const first = await admin.api.get<Entry[]>(`/admin/audit-log?actor_user_id=${actor.id}&limit=3`);
      expect(first.status).toBe(200);
      expect(first.body.map((entry) => entry.target.id)).toEqual([...ids].reverse());
      const next = nextPageUrl(first);
      expect(next).toBeDefined();
      const second = await admin.api.get<Entry[]>(next!);
      expect(second.body.map((entry) => entry.action)).toEqual(['user.registered']);
      expect(nextPageUrl(second)).toBeUndefined();

      const created = await auditLog(`actor_user_id=${actor.id}&action=listing.created`);
      expect(created.map((entry) => entry.target.id)).toEqual([...ids].reverse());
      expect(await auditLog(`actor_user_id=${actor.id}&target_type=listing&target_id=${ids[1]}`)).toHaveLength(1);
      expect(await auditLog(`actor_user_id=${actor.id}&target_type=user`)).toHaveLength(1);
    });

    it('from (inclusive) and to (exclusive) bound the entries by time', async () => {
      const actor = await signUp(testApp, 'audit-time');
      const [entry] = await auditLog(`actor_user_id=${actor.id}`);
      const at = encodeURIComponent(entry.at);
      const later = encodeURIComponent(new Date(Date.parse(entry.at) + 1).toISOString());
      expect(await auditLog(`actor_user_id=${actor.id}&from=${at}`)).toHaveLength(1);
      expect(await auditLog(`actor_user_id=${actor.id}&from=${later}`)).toHaveLength(0);
      expect(await auditLog(`actor_user_id=${actor.id}&to=${at}`)).toHaveLength(0);
      expect(await auditLog(`actor_user_id=${actor.id}&from=${at}&to=${later}`)).toHaveLength(1);
    });

    it('API keys: created and revoked (by the owner, then by an admin) are recorded, never the key; a change made with a key names it as actor', async () => {
      const created = await owner.api.post<{ id: number; key: string; prefix: string }>('/auth/api-keys', { name: 'audit crm', scopes: ['listings:write'] });
      expect(created.status).toBe(201);
      secrets.add(created.body.key);
      const keyId = created.body.id;
      const withKey = testApp.api.as(created.body.key);
      const listing = await withKey.post<Listing>('/listings', aListing());
      expect(listing.status).toBe(201);
      const revoked = await owner.api.delete(`/auth/api-keys/${keyId}`);
      expect(revoked.status).toBe(204);
      const second = await owner.api.post<{ id: number; key: string }>('/auth/api-keys', { name: 'audit second', scopes: ['webhooks:manage'], expires_in_days: 7 });
      expect(second.status).toBe(201);
      secrets.add(second.body.key);
      const revokedByAdmin = await admin.api.delete(`/admin/api-keys/${second.body.id}`);
      expect(revokedByAdmin.status).toBe(204);

      const [revocation, creation] = await auditLog(`target_type=api_key&target_id=${keyId}`);
      expect(creation).toMatchObject({ action: 'api_key.created', actor: { user_id: owner.id, api_key_id: null, role: 'USER' }, request_id: requestIdOf(created) });
      expect(creation.changes).toMatchObject({ name: [null, 'audit crm'], scopes: [null, ['listings:write']] });
      expect(JSON.stringify(creation)).not.toContain(created.body.prefix);
      expect(revocation).toMatchObject({ action: 'api_key.revoked', actor: { user_id: owner.id, api_key_id: null }, request_id: requestIdOf(revoked) });
      const [adminRevocation] = await auditLog(`target_type=api_key&target_id=${second.body.id}&action=api_key.revoked`);
      expect(adminRevocation).toMatchObject({ actor: { user_id: admin.id, role: 'ADMIN' }, request_id: requestIdOf(revokedByAdmin) });

      // The listing written with the key: its owner acting through that key, and the filter finds it.
      const byKey = await auditLog(`api_key_id=${keyId}`);
      expect(byKey).toHaveLength(1);
      expect(byKey[0]).toMatchObject({ action: 'listing.created', actor: { user_id: owner.id, api_key_id: keyId, role: 'USER' }, target: { type: 'listing', id: listing.body.id } });
    });

    it.each([
      ['actor_user_id=abc', 'actor_user_id'],
      ['actor_user_id=0', 'actor_user_id'],
      ['api_key_id=1.5', 'api_key_id'],
      ['target_type=planet', 'target_type'],
      ['target_id=-3', 'target_id'],
      ['action=listing.exploded', 'action'],
      ['from=yesterday', 'from'],
      ['to=2026-12-01', 'to'],
      ['from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z', 'to'],
      ['limit=0', 'limit'],
      ['limit=201', 'limit'],
    ])('%s: 400 naming the field', async (query, field) => {
      const response = await admin.api.get<ErrorBody>(`/admin/audit-log?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.errors?.map((error) => error.field)).toContain(field);
    });

    it('an unknown parameter or a forged cursor: 400', async () => {
      expect((await admin.api.get('/admin/audit-log?actor=1')).status).toBe(400);
      expect((await admin.api.get(`/admin/audit-log?cursor=${Buffer.from('{"id":"x"}').toString('base64url')}`)).status).toBe(400);
    });
  });

  describe('append-only', () => {
    async function anEntry(daysAgo: number): Promise<string> {
      const { rows } = await db.query<{ id: string }>(
        `INSERT INTO audit_log (at, action, target_type, target_id) VALUES (now() - make_interval(days => $1), 'listing.created', 'listing', $2) RETURNING id::text AS id`,
        [daysAgo, 2_000_000_000 + Math.floor(Math.random() * 100_000_000)],
      );
      return rows[0].id;
    }
    const exists = async (id: string) => (await db.query('SELECT 1 FROM audit_log WHERE id = $1::int8', [id])).rowCount === 1;

    it('the database refuses UPDATE, DELETE and TRUNCATE of the table', async () => {
      const id = await anEntry(0);
      await expect(db.query(`UPDATE audit_log SET action = 'listing.deleted' WHERE id = $1::int8`, [id])).rejects.toThrow(/append-only: UPDATE refused/);
      await expect(db.query('DELETE FROM audit_log WHERE id = $1::int8', [id])).rejects.toThrow(/append-only: DELETE refused/);
      await expect(db.query('TRUNCATE audit_log')).rejects.toThrow(/append-only: TRUNCATE refused/);
      const { rows } = await db.query<{ action: string }>('SELECT action FROM audit_log WHERE id = $1::int8', [id]);
      expect(rows).toEqual([{ action: 'listing.created' }]);
    });

    it('audit_log_purge deletes the entries older than the retention, and only those; a plain DELETE of an old one is refused', async () => {
      const [old, recent] = [await anEntry(400), await anEntry(10)];
      await expect(db.query('DELETE FROM audit_log WHERE id = $1::int8', [old])).rejects.toThrow(/append-only/);
      const { rows } = await db.query<{ purged: string }>('SELECT audit_log_purge(365)::text AS purged');
      expect(Number(rows[0].purged)).toBeGreaterThanOrEqual(1);
      expect(await exists(old)).toBe(false);
      expect(await exists(recent)).toBe(true);
    });

    it('the purge lets no other DELETE through, even later in its own transaction', async () => {
      const recent = await anEntry(10);
      const client = await db.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT audit_log_purge(365)');
        await expect(client.query('DELETE FROM audit_log WHERE id = $1::int8', [recent])).rejects.toThrow(/append-only/);
      } finally {
        await client.query('ROLLBACK');
        client.release();
      }
      expect(await exists(recent)).toBe(true);
    });

    it('the service\'s retention job purges with AUDIT_RETENTION_DAYS (365 by default)', async () => {
      const [old, recent] = [await anEntry(366), await anEntry(364)];
      await testApp.app.get(AuditRetentionPurgeJob).run();
      expect(await exists(old)).toBe(false);
      expect(await exists(recent)).toBe(true);
    });
  });

  // Last: after every test above has handed the service its secrets (API keys included).
  it('no password, hash, token or secret anywhere in the audit table', async () => {
    const { rows: hashes } = await db.query<{ password_hash: string }>('SELECT password_hash FROM app_user WHERE id = ANY($1::int4[])', [[owner.id, other.id, admin.id]]);
    hashes.forEach((row) => secrets.add(row.password_hash));
    const { rows: keyHashes } = await db.query<{ key_hash: string }>('SELECT key_hash FROM api_key WHERE owner_id = ANY($1::int4[])', [[owner.id, other.id, admin.id]]);
    expect(keyHashes.length).toBeGreaterThanOrEqual(2);
    keyHashes.forEach((row) => secrets.add(row.key_hash));
    // Every secret the tests above handed the service was collected (a test of this test).
    expect(secrets.size).toBeGreaterThanOrEqual(15);
    const { rows } = await db.query<{ row: string }>('SELECT t::text AS row FROM audit_log t');
    expect(rows.length).toBeGreaterThan(0);
    const leaks = rows.filter(({ row }) => [...secrets].some((secret) => row.includes(secret)));
    expect(leaks).toEqual([]);
  });
});
