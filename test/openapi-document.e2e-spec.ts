/* eslint-disable @typescript-eslint/no-unsafe-member-access -- walks the untyped JSON of the served document */
import SwaggerParser from '@apidevtools/swagger-parser';
import { ResponseContract } from './support/openapi';
import { declaredRoutes } from './support/routes';
import { TestApp, startTestApp } from './support/test-app';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- arbitrary JSON
type Json = Record<string, any>;

/**
 * What the original ListingAPI contract says, copied here so the project does not depend on the
 * reference file: paths, operation ids, and the rules of each schema.
 */
const CONTRACT = {
  operations: [
    ['get', '/listings', 'get-listings'],
    ['post', '/listings', 'post-listings'],
    ['put', '/listings/{id}', 'upsert-listing'],
    ['get', '/listings/{id}/prices', 'get-listing-prices'],
  ],
  listingWrite: {
    required: ['name', 'postal_address', 'description', 'building_type', 'latest_price_eur', 'surface_area_m2', 'rooms_count', 'bedrooms_count'],
    properties: {
      name: { type: 'string', minLength: 1 },
      postal_address: { $ref: '#/components/schemas/PostalAddress' },
      description: { type: 'string', minLength: 1 },
      building_type: { type: 'string', enum: ['STUDIO', 'APARTMENT', 'HOUSE'] },
      latest_price_eur: { type: 'number', minimum: 0 },
      surface_area_m2: { type: 'number', minimum: 0 },
      rooms_count: { type: 'integer', minimum: 1 },
      bedrooms_count: { type: 'integer', minimum: 0 },
      contact_phone_number: { type: 'string', pattern: '^\\+[1-9]\\d{1,14}$' },
    },
  },
  postalAddress: {
    required: ['street_address', 'postal_code', 'city', 'country'],
    properties: {
      street_address: { type: 'string', minLength: 1 },
      postal_code: { type: 'string', minLength: 1 },
      city: { type: 'string', minLength: 1 },
      country: { type: 'string', minLength: 2, maxLength: 2 },
    },
  },
  listingRead: { required: ['id', 'created_date', 'updated_date'], properties: { id: { type: 'integer', minimum: 0 }, created_date: { type: 'string' }, updated_date: { type: 'string' } } },
  price: { required: ['price_eur', 'created_date'], properties: { price_eur: { type: 'integer' }, created_date: { type: 'string' } } },
};

describe('the OpenAPI document', () => {
  let testApp: TestApp;
  let document: Json;

  beforeAll(async () => {
    // With every optional route on (GET /metrics exists, and is documented, only with METRICS_TOKEN).
    testApp = await startTestApp({ METRICS_TOKEN: 'openapi-document-test-token' });
    document = (await testApp.api.get<Json>('/docs/openapi.json')).body;
  });
  afterAll(() => testApp.close());

  it('is a valid OpenAPI 3 document', async () => {
    expect(document.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('is also served as YAML, and Swagger UI at /docs', async () => {
    const yaml = await testApp.api.get('/docs/openapi.yaml');
    expect(yaml.status).toBe(200);
    expect(yaml.text).toMatch(/^openapi: 3\./m);
    const ui = await testApp.api.get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger-ui');
  });

  it('keeps the contract\'s paths, methods and operation ids', () => {
    for (const [method, path, operationId] of CONTRACT.operations) {
      expect({ path, method, operationId: document.paths[path]?.[method]?.operationId }).toEqual({ path, method, operationId });
    }
  });

  it.each([
    ['ListingWrite', CONTRACT.listingWrite],
    ['PostalAddress', CONTRACT.postalAddress],
    ['Price', CONTRACT.price],
  ])('schema %s keeps every field, type, rule and required entry of the contract, and admits nothing else', (name, expected) => {
    const schema = document.components.schemas[name] as Json;
    expect(schema.additionalProperties).toBe(false);
    expect([...(schema.required as string[])].sort()).toEqual([...expected.required].sort());
    expect(Object.keys(schema.properties as Json).sort()).toEqual(Object.keys(expected.properties).sort());
    for (const [field, rules] of Object.entries(expected.properties)) expect({ field, ...(schema.properties as Json)[field] }).toMatchObject({ field, ...rules });
  });

  it('schema Listing is ListingWrite plus the read-only fields, closed too', () => {
    const listing = document.components.schemas.Listing as Json;
    expect(listing.additionalProperties).toBe(false);
    expect([...(listing.required as string[])].sort()).toEqual([...CONTRACT.listingWrite.required, ...CONTRACT.listingRead.required].sort());
    for (const [field, rules] of Object.entries({ ...CONTRACT.listingWrite.properties, ...CONTRACT.listingRead.properties })) {
      expect({ field, ...(listing.properties as Json)[field] }).toMatchObject({ field, ...rules });
    }
  });

  it('documents every route the server has, and no other, with the security the guards enforce', () => {
    const documented = Object.entries(document.paths as Json).flatMap(([path, item]) =>
      Object.entries(item as Json).map(([method, operation]) => ({ method: method.toUpperCase(), path, security: (operation as Json).security as unknown[] })),
    );
    const served = declaredRoutes(testApp).map((r) => ({ ...r, path: r.path.replace(/:(\w+)/g, '{$1}') }));
    expect(documented.map((d) => `${d.method} ${d.path}`).sort()).toEqual(served.map((s) => `${s.method} ${s.path}`).sort());
    for (const route of served) {
      const operation = documented.find((d) => d.method === route.method && d.path === route.path);
      // API keys are a second scheme on the routes that admit them (a scope, or any key); elsewhere only the access token.
      const takesKeys = route.access !== 'public' && route.apiKey !== 'never' && route.apiKey !== 'closed';
      expect({ route, security: operation?.security }).toEqual({ route, security: route.access === 'public' ? [] : takesKeys ? [{ bearer: [] }, { apiKey: [] }] : [{ bearer: [] }] });
    }
  });

  it('gives every error response a JSON body with a message', () => {
    for (const [path, item] of Object.entries(document.paths as Json)) {
      for (const operation of Object.values(item as Json)) {
        for (const [status, response] of Object.entries((operation as Json).responses as Json)) {
          if (Number(status) < 400) continue;
          const ref = (response as Json).content?.['application/json']?.schema?.$ref as string | undefined;
          // APIError or ValidationError everywhere; the readiness probe's 503 also lists the components.
          const expected = path === '/health/ready' && status === '503' ? /#\/components\/schemas\/HealthCheckFailure$/ : /#\/components\/schemas\/(APIError|ValidationError)$/;
          expect({ path, status, ref }).toEqual({ path, status, ref: expect.stringMatching(expected) });
          const schema = document.components.schemas[ref!.split('/').pop()!] as Json;
          expect({ path, status, required: schema.required as string[], message: schema.properties.message }).toEqual({
            path,
            status,
            required: expect.arrayContaining(['message']),
            message: expect.objectContaining({ type: 'string' }),
          });
        }
      }
    }
  });

  it('documents both ways to authenticate, and on each route what an API key may do there', () => {
    expect(document.components.securitySchemes).toMatchObject({ bearer: { type: 'http', scheme: 'bearer' }, apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'lak_…' } });
    const replace = document.paths['/listings/{id}'].put as Json;
    expect(replace.description).toContain('**API keys**: need the `listings:write` scope.');
    expect(Object.keys(replace.responses as Json)).toEqual(expect.arrayContaining(['401', '403', '429']));
    expect(replace.responses['429'].headers).toHaveProperty('Retry-After');
    // Routes that refuse keys document the 403, public ones too when no key may ever call them.
    expect((document.paths['/auth/me/password'].post as Json).description).toContain('never accepted');
    expect(Object.keys((document.paths['/auth/refresh'].post as Json).responses as Json)).toContain('403');
    expect(Object.keys((document.paths['/listings'].get as Json).responses as Json)).not.toContain('403');
  });

  it('documents the conditional GETs: If-None-Match, ETag and Cache-Control, and the 304 without a body', () => {
    for (const path of ['/listings/{id}', '/listings/{id}/prices', '/listings/{id}/prices/summary', '/listings/{id}/prices/chart.svg']) {
      const operation = document.paths[path].get as Json;
      const header = (operation.parameters as Json[]).find((p) => p.in === 'header');
      expect({ path, header: header?.name }).toEqual({ path, header: 'If-None-Match' });
      expect({ path, headers: Object.keys((operation.responses['200'].headers ?? {}) as Json) }).toEqual({ path, headers: expect.arrayContaining(['ETag', 'Cache-Control']) });
      expect({ path, headers: Object.keys((operation.responses['304'].headers ?? {}) as Json) }).toEqual({ path, headers: ['ETag', 'Cache-Control'] });
      expect(operation.responses['304'].content).toBeUndefined();
    }
  });

  it('documents Idempotency-Key on POST /listings, its 409 and the replay header', () => {
    const operation = document.paths['/listings'].post as Json;
    expect((operation.parameters as Json[]).map((p) => `${p.in} ${p.name}`)).toContain('header Idempotency-Key');
    expect(Object.keys(operation.responses as Json)).toEqual(expect.arrayContaining(['201', '409', '422']));
    expect(Object.keys(operation.responses['201'].headers as Json)).toEqual(['Idempotent-Replayed']);
    expect(operation.description).toMatch(/Idempotency-Key/);
  });

  it('documents the change feed: its events, the Link header, 400 and 410', () => {
    const operation = document.paths['/listings/changes'].get as Json;
    expect(operation.security).toEqual([]);
    expect((operation.parameters as Json[]).map((p) => p.name as string).sort()).toEqual(['after', 'limit']);
    expect(Object.keys(operation.responses as Json)).toEqual(expect.arrayContaining(['200', '400', '410']));
    expect(Object.keys(operation.responses['200'].headers as Json)).toEqual(['Link']);
    const event = document.components.schemas.ListingEvent as Json;
    expect(event.required).toEqual(['sequence', 'listing_id', 'type', 'at', 'latest_price_eur']);
    expect(event.properties.type.enum).toEqual(['created', 'updated', 'price_changed', 'deleted']);
    expect(event.additionalProperties).toBe(false);
  });

  describe('the response check every e2e request goes through', () => {
    let contract: ResponseContract;
    const listing = {
      id: 1,
      name: 'n',
      description: 'd',
      postal_address: { street_address: 's', postal_code: 'p', city: 'c', country: 'FR' },
      building_type: 'HOUSE',
      latest_price_eur: 1,
      surface_area_m2: 1,
      rooms_count: 1,
      bedrooms_count: 0,
      created_date: '2026-01-01T00:00:00.000Z',
      updated_date: '2026-01-01T00:00:00.000Z',
    };
    beforeAll(async () => {
      contract = await ResponseContract.load(testApp.baseUrl);
    });

    it('accepts a conforming body', () => {
      expect(contract.violations('GET', '/listings/1', 200, 'application/json', listing)).toEqual([]);
    });

    it('fails on an extra property, a missing one, a wrong type, an undocumented status or a missing body', () => {
      expect(contract.violations('GET', '/listings/1', 200, 'application/json', { ...listing, owner_id: 3 })).not.toEqual([]);
      expect(contract.violations('GET', '/listings/1', 200, 'application/json', { ...listing, postal_address: { city: 'c' } })).not.toEqual([]);
      expect(contract.violations('GET', '/listings/1/prices', 200, 'application/json', [{ price_eur: 1.5, created_date: 'x' }])).not.toEqual([]);
      expect(contract.violations('GET', '/listings/1', 500, 'application/json', { message: 'boom' })).not.toEqual([]);
      expect(contract.violations('POST', '/listings', 201, null, '')).not.toEqual([]);
      expect(contract.violations('PATCH', '/listings', 200, 'application/json', {})).not.toEqual([]);
    });
  });
});

describe('the API docs in production', () => {
  it('are off unless SWAGGER_ENABLED=true', async () => {
    const production = await startTestApp({ NODE_ENV: 'production' });
    try {
      const response = await fetch(`${production.baseUrl}/docs/openapi.json`);
      expect(response.status).toBe(404);
    } finally {
      await production.close();
    }
    const enabled = await startTestApp({ NODE_ENV: 'production', SWAGGER_ENABLED: 'true' });
    try {
      expect((await fetch(`${enabled.baseUrl}/docs/openapi.json`)).status).toBe(200);
    } finally {
      await enabled.close();
    }
  });
});
