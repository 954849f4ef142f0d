import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { TRANSFORM_OPTIONS, VALIDATOR_OPTIONS } from '../../../libs/common/src/validation/validation';
import { ValidationPlans } from '../../../libs/common/src/validation/validation-plan';
import { ListingWriteDto } from '../../../libs/listings/src/dto/listing-write.dto';
import { ListingsQuery } from '../../../libs/listings/src/dto/listings.query';
import { ChangeFeedQuery } from '../../../libs/listings/src/change-feed/change-feed.query';
import { WebhookCreateDto, WebhookUpdateDto } from '../../../libs/webhooks/src/dto/webhook-write.dto';
import { ApiKeyCreateDto, ApiKeysQuery } from '../../../libs/auth/src/api-keys/dto/api-key.dto';
import { ChangePasswordDto, CredentialsDto, RefreshTokenDto } from '../../../libs/auth/src/dto/credentials.dto';
import { UpdateUserDto, UsersQuery } from '../../../libs/users/src/dto/admin.dto';
import { AuditLogQuery } from '../../../libs/audit/src/dto/audit-log.query';
import { PriceAtQuery } from '../../../libs/prices/src/dto/price-at.query';
import { PriceChartQuery } from '../../../libs/prices/src/dto/price-chart.query';
import { PriceHistoryQuery } from '../../../libs/prices/src/dto/price-history.query';

/**
 * The validation plans must give class-validator's own verdict on every input, or a body it refuses would be
 * accepted. Checked here on the service's real DTOs, from a valid sample of each and every single-field and
 * seeded-random multi-field mutation of it (wrong types, bounds, missing, null, unknown and nested fields).
 */
type Sample = Record<string, unknown>;
type Dto = new () => object;

const address = { street_address: '1 rue de la Paix', postal_code: '75002', city: 'Paris', country: 'FR' };
const SAMPLES: [Dto, Sample][] = [
  [
    ListingWriteDto,
    {
      name: 'Flat',
      postal_address: address,
      description: 'Nice',
      building_type: 'APARTMENT',
      latest_price_eur: 380000,
      surface_area_m2: 43.5,
      rooms_count: 2,
      bedrooms_count: 1,
      contact_phone_number: '+33612345678',
    },
  ],
  [ListingsQuery, { limit: '50', sort: 'price', city: 'Paris', min_price: '500000', max_price: '900000', min_drop_pct: '10', changed_since: '2026-11-01T00:00:00Z' }],
  [ChangeFeedQuery, { limit: '100' }],
  [
    WebhookCreateDto,
    { url: 'https://127.0.0.1/hook', events: ['listing.price_changed'], filter: { city: 'Paris', min_price: 1, max_price: 10, min_change_drop_pct: 5 }, description: 'alerts' },
  ],
  [WebhookUpdateDto, { url: 'https://127.0.0.1/hook', events: ['*'], filter: { building_type: 'HOUSE' }, description: null, active: false }],
  [ApiKeyCreateDto, { name: 'crm', scopes: ['listings:write', 'webhooks:manage'], expires_in_days: 30 }],
  [ApiKeysQuery, { limit: '10' }],
  [CredentialsDto, { email: 'Owner@Example.test ', password: 'correct horse battery' }],
  [RefreshTokenDto, { refresh_token: 'abc.def' }],
  [ChangePasswordDto, { current_password: 'old password', new_password: 'a new long password' }],
  [UpdateUserDto, { role: 'ADMIN', active: true }],
  [UsersQuery, { limit: '20' }],
  [AuditLogQuery, { limit: '5', actor_user_id: '3', target_type: 'listing', action: 'listing.created', from: '2026-12-01T00:00:00Z', to: '2026-12-02T00:00:00Z' }],
  [PriceAtQuery, { date: '2026-11-22T00:00:00Z' }],
  [PriceChartQuery, { width: '800', height: '400' }],
  [PriceHistoryQuery, { limit: '100', from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z' }],
];

const ABSENT = Symbol('absent');
const VALUES: unknown[] = [
  ABSENT, null, '', 'x', '12', '-1', '1.5', 12, -1, 0, 1.5, 1e13, Number.NaN, true, false, [], ['x'], ['*', '*'], {}, { a: 1 },
  'A'.repeat(300), 'a\u0000b', '2026-11-01T00:00:00Z', '2020-01-01T00:00:00+25:00', 'listings:write', 'admin', 'FR', 'fr', 'HOUSE', '+33612345678',
  'not-an-email', 'a@b.co', ['listings:write', 'admin'], [['x']],
];

function withValue(sample: Sample, key: string, value: unknown): Sample {
  const copy: Sample = structuredClone(sample);
  if (value === ABSENT) delete copy[key];
  else copy[key] = structuredClone(value);
  return copy;
}

/** Every single-field mutation, one level into nested objects, and an unknown field at each level. */
function mutations(sample: Sample): Sample[] {
  const out: Sample[] = [sample, { ...structuredClone(sample), unknown_field: 1 }];
  for (const key of Object.keys(sample)) {
    for (const value of VALUES) out.push(withValue(sample, key, value));
    const nested = sample[key];
    if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
      out.push(withValue(sample, key, { ...nested, unknown_field: 1 }));
      for (const inner of Object.keys(nested)) {
        for (const value of VALUES) out.push(withValue(sample, key, withValue(nested as Sample, inner, value)));
      }
    }
  }
  return out;
}

/** Deterministic: the same multi-field mutations on every run (a failure can be replayed). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function randomMutations(sample: Sample, count: number, random: () => number): Sample[] {
  const keys = Object.keys(sample);
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) {
    let body = sample;
    const changes = 2 + Math.floor(random() * 3);
    for (let c = 0; c < changes; c++) {
      body = withValue(body, keys[Math.floor(random() * keys.length)], VALUES[Math.floor(random() * VALUES.length)]);
    }
    out.push(body);
  }
  return out;
}

describe('ValidationPlans', () => {
  const plans = new ValidationPlans();
  const instance = (dto: Dto, body: Sample) => plainToInstance(dto, structuredClone(body), TRANSFORM_OPTIONS);

  it.each(SAMPLES.map(([dto, sample]) => [dto.name, dto, sample] as const))('%s: the same verdict as validateSync on every mutation', (_name, dto, sample) => {
    const random = seeded(dto.name.length * 7919);
    const bodies = [...mutations(sample), ...randomMutations(sample, 300, random)];
    let accepted = 0;
    const disagreements: string[] = [];
    for (const body of bodies) {
      const valid = validateSync(instance(dto, body), VALIDATOR_OPTIONS).length === 0;
      const planned = plans.accepts(instance(dto, body));
      if (planned !== valid) disagreements.push(`${JSON.stringify(body)}: validateSync ${valid}, plan ${planned}`);
      if (planned) accepted++;
    }
    expect(disagreements).toEqual([]);
    // The valid sample is recognised: the plan is actually used, not always deferring to validateSync.
    expect(plans.accepts(instance(dto, sample))).toBe(true);
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(bodies.length);
  });

  it('defers to validateSync for a class without rules and for a plain object', () => {
    class NoRules {
      name?: string;
    }
    expect(plans.accepts(plainToInstance(NoRules, { name: 'x' }))).toBe(false);
    expect(validateSync(plainToInstance(NoRules, { name: 'x' }), VALIDATOR_OPTIONS)).not.toEqual([]);
    expect(plans.accepts({ name: 'x' })).toBe(false);
  });
});
