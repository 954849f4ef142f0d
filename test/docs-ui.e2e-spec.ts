import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { describeWithBrowser, launchChromium } from './support/browser';
import { aListing, type Listing, type PriceEntry } from './support/listings';
import { type SignedIn, type TestApp, signUp, startTestApp } from './support/test-app';

const ARTIFACTS = join(__dirname, 'artifacts');
const NEW_PRICE = 123_457;

/**
 * Swagger UI at /docs, used the way the docs' introduction tells a newcomer to: Authorize with the
 * access token, then "Try it out" on PUT /listings/{id} and GET /listings/{id}/prices. Only the
 * browser talks to the server between the setup and the final check, so a broken security scheme,
 * request body or response rendering in the served document shows up here.
 */
describeWithBrowser('Swagger UI at /docs (Chromium)', () => {
  let testApp: TestApp;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];
  let owner: SignedIn;
  let listing: Listing;

  beforeAll(async () => {
    [testApp, browser] = await Promise.all([startTestApp(), launchChromium()]);
    owner = await signUp(testApp, 'docs-ui');
    const created = await owner.api.post<Listing>('/listings', aListing());
    expect(created.status).toBe(201);
    listing = created.body;
  });

  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Fail fast and readably rather than at Jest's timeout (generous: CI machines can be busy).
    context.setDefaultTimeout(15_000);
    context.setDefaultNavigationTimeout(20_000);
    // The page must work offline: anything it asks of another origin is refused.
    const origin = new URL(testApp.baseUrl).origin;
    await context.route(
      (url) => url.origin !== origin,
      (route) => route.abort(),
    );
    page = await context.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterEach(async () => {
    await context?.close();
  });

  afterAll(async () => {
    await browser?.close();
    await testApp?.close();
  });

  it('authorizes with the access token, keeps it across a reload, and changes a price through "Try it out"', async () => {
    try {
      await page.goto(`${testApp.baseUrl}/docs`);
      const authorizeButton = page.locator('.auth-wrapper button.authorize');
      await authorizeButton.waitFor();

      // Authorize: paste the access token into the "bearer" scheme's field.
      await authorizeButton.click();
      const dialog = page.locator('.modal-ux');
      await dialog.waitFor();
      // The dialog has one form per scheme (bearer, then apiKey for API keys): fill the bearer one.
      const bearerForm = dialog.locator('.auth-container', { has: page.locator('h4', { hasText: /^\s*bearer\b/ }) });
      await bearerForm.locator('input').fill(owner.accessToken);
      await bearerForm.locator('button.authorize', { hasText: 'Authorize' }).click();
      // Once authorized the form offers "Logout" instead of "Authorize".
      await bearerForm.locator('button', { hasText: 'Logout' }).waitFor();
      await dialog.locator('button.btn-done', { hasText: 'Close' }).first().click();
      await dialog.waitFor({ state: 'detached' });
      await page.locator('.auth-wrapper button.authorize.locked').waitFor();

      // persistAuthorization: the token survives a reload (Swagger UI keeps it in localStorage).
      await page.reload();
      await page.locator('.auth-wrapper button.authorize.locked').waitFor();

      // PUT /listings/{id} with a new price.
      const put = await openTryItOut(page, 'listings', 'upsert-listing');
      await fillPathParameter(put, 'id', String(listing.id));
      const body = aListing({ latest_price_eur: NEW_PRICE });
      await put.locator('textarea.body-param__text').fill(JSON.stringify(body, null, 2));
      const putResponse = await execute(page, put, (url, method) => method === 'PUT' && url.pathname === `/listings/${listing.id}`);
      expect(putResponse.authorization).toBe(`Bearer ${owner.accessToken}`);
      expect(await renderedStatus(put)).toBe('200');
      expect(await renderedBody(put)).toMatchObject({ id: listing.id, name: body.name, latest_price_eur: NEW_PRICE });

      // GET /listings/{id}/prices shows the new entry.
      const prices = await openTryItOut(page, 'prices', 'get-listing-prices');
      await fillPathParameter(prices, 'id', String(listing.id));
      await execute(page, prices, (url, method) => method === 'GET' && url.pathname === `/listings/${listing.id}/prices`);
      expect(await renderedStatus(prices)).toBe('200');
      const rendered = (await renderedBody(prices)) as PriceEntry[];
      expect(rendered.map((entry) => entry.price_eur)).toEqual([listing.latest_price_eur, NEW_PRICE]);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'docs-ui.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
    } catch (error) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'docs-ui-failure.png'), fullPage: true }).catch(() => undefined);
      throw error;
    }

    // The UI really changed the data.
    const history = await testApp.api.get<PriceEntry[]>(`/listings/${listing.id}/prices`);
    expect(history.status).toBe(200);
    expect(history.body.map((entry) => entry.price_eur)).toEqual([listing.latest_price_eur, NEW_PRICE]);
  });

  it('shows the price chart: an example in the chart operation, the live one via "Try it out", and the picture itself', async () => {
    const body = aListing({ latest_price_eur: 380_000 });
    const created = await owner.api.post<Listing>('/listings', body);
    for (const price of [395_000, 350_000, 365_000]) {
      expect((await owner.api.put(`/listings/${created.body.id}`, { ...body, latest_price_eur: price })).status).toBe(200);
    }
    const summary = await testApp.api.get<{ chart_url: string }>(`/listings/${created.body.id}/prices/summary`);
    mkdirSync(ARTIFACTS, { recursive: true });
    try {
      await page.goto(`${testApp.baseUrl}/docs`);
      const chart = page.locator('#operations-prices-get-listing-price-chart');
      await chart.locator('.opblock-summary-control').click();
      // The example picture in the description, drawn by the server's renderer.
      const example = chart.locator('.opblock-description img');
      await example.waitFor();
      expect(await example.evaluate((img: { complete: boolean; naturalWidth: number }) => (img.complete ? img.naturalWidth : 0))).toBe(720);

      await chart.locator('button.try-out__btn').click();
      await fillPathParameter(chart, 'id', String(created.body.id));
      await execute(page, chart, (url, method) => method === 'GET' && url.pathname === `/listings/${created.body.id}/prices/chart.svg`);
      expect(await renderedStatus(chart)).toBe('200');
      expect(await chart.locator('.live-responses-table .response .response-col_description').innerText()).toContain('<svg');
      await chart.screenshot({ path: join(ARTIFACTS, 'docs-ui-chart.png') });

      // The chart itself, as a browser shows the summary's chart_url: an SVG of the default size with the current price.
      await page.goto(`${testApp.baseUrl}${summary.body.chart_url}`);
      const svg = page.locator('svg');
      expect(await svg.boundingBox()).toMatchObject({ width: 720, height: 360 });
      expect(await svg.locator('text', { hasText: 'Current price 365 000 €' }).count()).toBe(1);
      await svg.screenshot({ path: join(ARTIFACTS, 'price-chart.png') });
      expect(pageErrors).toEqual([]);
    } catch (error) {
      await page.screenshot({ path: join(ARTIFACTS, 'docs-ui-chart-failure.png'), fullPage: true }).catch(() => undefined);
      throw error;
    }
  });
});

/** Expands an operation (Swagger UI ids opblocks `operations-<tag>-<operationId>`) and clicks "Try it out". */
async function openTryItOut(page: Page, tag: string, operationId: string): Promise<Locator> {
  const operation = page.locator(`#operations-${tag}-${operationId}`);
  await operation.locator('.opblock-summary-control').click();
  const tryItOut = operation.locator('button.try-out__btn');
  await tryItOut.click();
  await operation.locator('button.execute').waitFor();
  return operation;
}

async function fillPathParameter(operation: Locator, name: string, value: string): Promise<void> {
  await operation.locator(`tr[data-param-name="${name}"][data-param-in="path"] input`).fill(value);
}

/** Clicks "Execute" and waits for the request to be answered and its live response to be rendered. */
async function execute(page: Page, operation: Locator, matches: (url: URL, method: string) => boolean): Promise<{ authorization?: string }> {
  const [response] = await Promise.all([
    page.waitForResponse((candidate) => matches(new URL(candidate.url()), candidate.request().method())),
    operation.locator('button.execute').click(),
  ]);
  await operation.locator('.live-responses-table .response .response-col_status').waitFor();
  const headers = await response.request().allHeaders();
  return { authorization: headers.authorization };
}

async function renderedStatus(operation: Locator): Promise<string> {
  return (await operation.locator('.live-responses-table .response .response-col_status').innerText()).trim();
}

/** The response body as Swagger UI renders it (pretty-printed JSON in a highlighted block), parsed. */
async function renderedBody(operation: Locator): Promise<unknown> {
  const text = await operation.locator('.live-responses-table .response .response-col_description .highlight-code pre').innerText();
  return JSON.parse(text) as unknown;
}
