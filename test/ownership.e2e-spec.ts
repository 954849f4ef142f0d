import { Listing, PriceEntry, aListing } from './support/listings';
import { SignedIn, TestApp, signUp, signUpAdmin, startTestApp } from './support/test-app';

describe('listing ownership', () => {
  let testApp: TestApp;
  let alice: SignedIn;
  let bob: SignedIn;
  let admin: SignedIn;

  beforeAll(async () => {
    testApp = await startTestApp();
    [alice, bob, admin] = await Promise.all([signUp(testApp, 'alice'), signUp(testApp, 'bob'), signUpAdmin(testApp)]);
  });
  afterAll(() => testApp.close());

  const historyOf = async (id: number) => (await testApp.api.get<PriceEntry[]>(`/listings/${id}/prices`)).body;

  it('reads are public; every write needs a token (401)', async () => {
    const created = await alice.api.post<Listing>('/listings', aListing());
    expect((await testApp.api.get(`/listings/${created.body.id}`)).status).toBe(200);
    expect((await testApp.api.get('/listings')).status).toBe(200);
    expect((await testApp.api.get(`/listings/${created.body.id}/prices`)).status).toBe(200);

    expect((await testApp.api.post('/listings', aListing())).status).toBe(401);
    expect((await testApp.api.put(`/listings/${created.body.id}`, aListing())).status).toBe(401);
    expect((await testApp.api.delete(`/listings/${created.body.id}`)).status).toBe(401);
  });

  it('the public representation has no owner field', async () => {
    const created = await alice.api.post<Listing>('/listings', aListing());
    expect(created.body).not.toHaveProperty('owner_id');
    expect((await testApp.api.get(`/listings/${created.body.id}`)).body).not.toHaveProperty('owner_id');
  });

  it('a non-owner cannot change the price: 403, listing and history unchanged', async () => {
    const body = aListing({ latest_price_eur: 100_000 });
    const created = await alice.api.post<Listing>('/listings', body);

    const attempt = await bob.api.put(`/listings/${created.body.id}`, { ...body, latest_price_eur: 1 });

    expect(attempt.status).toBe(403);
    expect(attempt.body).toEqual({ message: 'Only the owner of this listing or an admin may change it' });
    expect((await testApp.api.get(`/listings/${created.body.id}`)).body).toEqual(created.body);
    expect(await historyOf(created.body.id)).toEqual([{ price_eur: 100_000, created_date: created.body.created_date }]);
  });

  it('a non-owner cannot delete: 403, listing and history still there', async () => {
    const created = await alice.api.post<Listing>('/listings', aListing());
    const attempt = await bob.api.delete(`/listings/${created.body.id}`);
    expect(attempt.status).toBe(403);
    expect((await testApp.api.get(`/listings/${created.body.id}`)).status).toBe(200);
    expect(await historyOf(created.body.id)).toHaveLength(1);
  });

  it('the owner can change and delete; DELETE removes the listing and its history (204)', async () => {
    const body = aListing({ latest_price_eur: 100_000 });
    const created = await alice.api.post<Listing>('/listings', body);
    expect((await alice.api.put(`/listings/${created.body.id}`, { ...body, latest_price_eur: 90_000 })).status).toBe(200);

    const deleted = await alice.api.delete(`/listings/${created.body.id}`);
    expect(deleted.status).toBe(204);
    expect((await testApp.api.get(`/listings/${created.body.id}`)).status).toBe(404);
    expect((await testApp.api.get(`/listings/${created.body.id}/prices`)).status).toBe(404);
    expect(await testApp.prisma.listingPrice.count({ where: { listingId: created.body.id } })).toBe(0);
    expect((await alice.api.delete(`/listings/${created.body.id}`)).status).toBe(404);
  });

  it('an admin can change and delete any listing', async () => {
    const body = aListing({ latest_price_eur: 100_000 });
    const created = await alice.api.post<Listing>('/listings', body);
    const changed = await admin.api.put<Listing>(`/listings/${created.body.id}`, { ...body, latest_price_eur: 110_000 });
    expect(changed.status).toBe(200);
    expect((await historyOf(created.body.id)).map((e) => e.price_eur)).toEqual([100_000, 110_000]);
    expect((await admin.api.delete(`/listings/${created.body.id}`)).status).toBe(204);
  });

  it('writes to a missing listing are 404 for anyone signed in', async () => {
    expect((await bob.api.put('/listings/2147480000', aListing())).status).toBe(404);
    expect((await bob.api.delete('/listings/2147480000')).status).toBe(404);
  });

  it('a body that tries to set the owner is rejected (422): nothing is created, for the caller or for the named owner', async () => {
    const owned = async (user: SignedIn) => (await user.api.get<Listing[]>('/auth/me/listings?limit=200')).body.map((l) => l.id);
    const [alicesBefore, bobsBefore] = [await owned(alice), await owned(bob)];
    const attempt = await bob.api.post<{ errors: { field: string }[] }>('/listings', aListing({ owner_id: alice.id } as never));
    expect(attempt.status).toBe(422);
    expect(attempt.body.errors).toContainEqual(expect.objectContaining({ field: 'owner_id' }));
    expect([await owned(alice), await owned(bob)]).toEqual([alicesBefore, bobsBefore]);
  });

  it('GET /auth/me/listings lists only the caller\'s listings, paginated', async () => {
    const carol = await signUp(testApp, 'carol');
    const mine = [];
    for (let i = 0; i < 3; i += 1) mine.push((await carol.api.post<Listing>('/listings', aListing())).body.id);
    await bob.api.post('/listings', aListing());

    const first = await carol.api.get<Listing[]>('/auth/me/listings?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.map((l) => l.id)).toEqual(mine.slice(0, 2));
    const next = first.headers.get('link')?.match(/<([^>]+)>/)?.[1];
    expect(next).toMatch(/^\/auth\/me\/listings\?/);
    expect((await carol.api.get<Listing[]>(next as string)).body.map((l) => l.id)).toEqual(mine.slice(2));
    expect((await testApp.api.get('/auth/me/listings')).status).toBe(401);
  });
});
