import { readFileSync } from 'node:fs';
import path from 'node:path';
import { APP_CONFIG_SCHEMA, AppConfig, CONFIG_VARIABLES, loadConfig } from './app-config';
import { ConfigError, integer, readSettings, text } from './settings';

describe('loadConfig', () => {
  it('has working defaults for the embedded demo', () => {
    expect(loadConfig({})).toBeInstanceOf(AppConfig);
    expect(loadConfig({})).toEqual({
      nodeEnv: 'development',
      host: '127.0.0.1',
      port: 3000,
      databaseUrl: undefined,
      databasePoolSize: 10,
      databaseReplicaUrls: [],
      databaseTimeouts: { connectMs: 5000, acquireMs: 5000, statementMs: 15000 },
      redisUrl: undefined,
      redisKeyPrefix: 'listing-api:',
      trustProxy: false,
      shutdownTimeoutMs: 10000,
      shutdownDelayMs: 0,
      dataDir: '.data',
      bodyLimitBytes: 102400,
      logLevel: 'log',
      metricsToken: undefined,
      swaggerEnabled: true,
      auth: {
        jwtSecret: undefined,
        accessTokenTtlSeconds: 900,
        refreshTokenTtlSeconds: 2_592_000,
        adminEmail: undefined,
        adminPassword: undefined,
        rateLimitPerIp: 20,
        rateLimitPerAccount: 5,
        rateLimitPerAccountCeiling: 50,
        apiKeyRateLimitPerMinute: 600,
      },
      changeFeedRetentionHours: 168,
      auditRetentionDays: 365,
      webhooks: {
        allowPrivateUrls: false,
        concurrency: 50,
        disableAfterDead: 5,
        dispatchIntervalMs: 50,
        maxPerAccount: 25,
        retrySchedule: [5_000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000, 86_400_000],
        secretOverlapSeconds: 86_400,
        timeoutMs: 10_000,
        worker: true,
      },
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATABASE_URL: 'postgresql://u:p@db:5432/listings',
      DATABASE_POOL_SIZE: '20',
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      CHANGE_FEED_RETENTION_HOURS: '24',
    });
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', databaseUrl: 'postgresql://u:p@db:5432/listings', databasePoolSize: 20, nodeEnv: 'production', changeFeedRetentionHours: 24 });
  });

  it('turns the API docs off in production unless asked for', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };
    expect(loadConfig(production).swaggerEnabled).toBe(false);
    expect(loadConfig({ ...production, SWAGGER_ENABLED: 'true' }).swaggerEnabled).toBe(true);
    expect(loadConfig({ SWAGGER_ENABLED: 'false' }).swaggerEnabled).toBe(false);
  });

  it('takes a metrics token of 16 visible characters or more, and never echoes a bad one', () => {
    expect(loadConfig({ METRICS_TOKEN: 'a'.repeat(16) }).metricsToken).toBe('a'.repeat(16));
    for (const raw of ['short-token', 'has a space in the middle', `tab\tinside-the-token-value`]) {
      let message = '';
      try {
        loadConfig({ METRICS_TOKEN: raw });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^Invalid configuration: METRICS_TOKEN must be 16 to 512 visible ASCII characters/);
      expect(message).not.toContain(raw);
    }
  });

  it('refuses to start in production without a strong JWT secret', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET is required/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/at least 32 bytes/);
  });

  it('wants the first admin\'s email and password together', () => {
    expect(() => loadConfig({ ADMIN_EMAIL: 'root@example.test' })).toThrow(/set together/);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x/y', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/PORT.*eighty/);
    expect(problems.join('\n')).toMatch(/DATABASE_URL/);
    expect(problems.join('\n')).toMatch(/LOG_LEVEL.*loud/);
    // One line: what a process manager shows as the reason the service stopped.
    expect((error as ConfigError).message).not.toContain('\n');
  });

  it('checks numbers as written, not as JavaScript would coerce them', () => {
    for (const raw of ['1e3', '0x50', ' 80', '80.0', '-1', '65536']) {
      expect(() => loadConfig({ PORT: raw })).toThrow(`PORT must be an integer from 0 to 65535, got "${raw}"`);
    }
    expect(() => loadConfig({ SWAGGER_ENABLED: 'yes' })).toThrow('SWAGGER_ENABLED must be one of true, false, got "yes"');
    expect(() => loadConfig({ ADMIN_EMAIL: 'a@b.test', ADMIN_PASSWORD: 'short' })).toThrow('ADMIN_PASSWORD must be 8 to 256 characters');
  });

  it('reads the scale-out settings: replicas, Redis, proxies', () => {
    const config = loadConfig({
      DATABASE_REPLICA_URL: 'postgresql://u@r1:5432/listings, postgresql://u@r2:5432/listings',
      REDIS_URL: 'redis://cache:6379',
      REDIS_KEY_PREFIX: 'listings-staging:',
      TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
    });
    expect(config).toMatchObject({
      databaseReplicaUrls: ['postgresql://u@r1:5432/listings', 'postgresql://u@r2:5432/listings'],
      redisUrl: 'redis://cache:6379',
      redisKeyPrefix: 'listings-staging:',
      trustProxy: ['10.0.0.0/8', '127.0.0.1'],
    });
    expect(() => loadConfig({ REDIS_KEY_PREFIX: 'has space' })).toThrow(/REDIS_KEY_PREFIX must be/);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(() => loadConfig({ TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY must be/);
    expect(() => loadConfig({ DATABASE_REPLICA_URL: 'mysql://x/y' })).toThrow(/DATABASE_REPLICA_URL must be/);
  });

  it('reads the login limits; the per-account ceiling defaults to ten addresses\' worth and must be above the per-address limit', () => {
    expect(loadConfig({ AUTH_RATE_LIMIT_PER_IP: '30', AUTH_RATE_LIMIT_PER_ACCOUNT: '3', AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '40' }).auth).toMatchObject({
      rateLimitPerIp: 30,
      rateLimitPerAccount: 3,
      rateLimitPerAccountCeiling: 40,
    });
    expect(loadConfig({ AUTH_RATE_LIMIT_PER_ACCOUNT: '8' }).auth.rateLimitPerAccountCeiling).toBe(80);
    expect(loadConfig({ AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '6' }).auth.rateLimitPerAccountCeiling).toBe(6);
    // At or below the per-address limit, one address would reach the ceiling: its owner locked out again.
    expect(() => loadConfig({ AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '5' })).toThrow('AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING must be greater than AUTH_RATE_LIMIT_PER_ACCOUNT (5), got "5"');
    expect(() => loadConfig({ AUTH_RATE_LIMIT_PER_ACCOUNT: '20', AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '10' })).toThrow(/CEILING must be greater than AUTH_RATE_LIMIT_PER_ACCOUNT \(20\)/);
    expect(() => loadConfig({ AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: '0' })).toThrow('AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING must be an integer from 1 to 1000000, got "0"');
    // A value written wrongly is named once, for what it is.
    for (const raw of ['1e1', 'fifty']) {
      expect(() => loadConfig({ AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING: raw })).toThrow(new ConfigError([`AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING must be an integer from 1 to 1000000, got "${raw}"`]));
    }
  });

  it('reads the shutdown delay, which must fit in the shutdown timeout (that counts from the signal)', () => {
    expect(loadConfig({ SHUTDOWN_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '20000' })).toMatchObject({ shutdownDelayMs: 5000, shutdownTimeoutMs: 20000 });
    expect(loadConfig({ SHUTDOWN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: '0' }).shutdownDelayMs).toBe(0);
    expect(() => loadConfig({ SHUTDOWN_DELAY_MS: '10000' })).toThrow(
      new ConfigError(['SHUTDOWN_DELAY_MS must be less than SHUTDOWN_TIMEOUT_MS (10000), which counts from the signal and includes the delay, got "10000"']),
    );
    expect(() => loadConfig({ SHUTDOWN_DELAY_MS: '-1' })).toThrow('SHUTDOWN_DELAY_MS must be an integer from 0 to 600000, got "-1"');
  });

  it('treats an empty variable as unset and ignores variables it does not know', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '', UNRELATED: 'x' })).toMatchObject({ port: 3000, logLevel: 'log' });
  });
});

describe('the README configuration table', () => {
  it('lists exactly the variables of the schema', () => {
    const readme = readFileSync(path.join(__dirname, '../../../../README.md'), 'utf8');
    const section = /^## Configuration\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
    const firstCells = section.split('\n').filter((line) => line.startsWith('| `')).map((line) => line.split('|')[1]);
    const listed = firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((match) => match[1]));
    expect(listed.length).toBeGreaterThan(0);
    expect([...listed].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});

describe('readSettings', () => {
  const PER_HOUR = integer('PER_HOUR', 1, 100).default(10);
  const schema = {
    perHour: PER_HOUR,
    perDay: integer('PER_DAY', 1, 10_000)
      .default((get) => 24 * get(PER_HOUR))
      .check((perDay, get) => (perDay >= get(PER_HOUR) ? undefined : 'must be at least PER_HOUR')),
    label: { name: text('LABEL') },
  };

  it('builds the typed object, defaults computed from other settings included', () => {
    expect(readSettings(schema, {})).toEqual({ perHour: 10, perDay: 240, label: { name: undefined } });
    expect(readSettings(schema, { PER_HOUR: '2', LABEL: 'x' })).toEqual({ perHour: 2, perDay: 48, label: { name: 'x' } });
    expect(() => readSettings(schema, { PER_HOUR: '20', PER_DAY: '5' })).toThrow(new ConfigError(['PER_DAY must be at least PER_HOUR']));
  });

  it('names a bad variable once: what depends on it is skipped', () => {
    expect(() => readSettings(schema, { PER_HOUR: 'ten', PER_DAY: '5' })).toThrow(new ConfigError(['PER_HOUR must be an integer from 1 to 100, got "ten"']));
  });

  it('refuses a schema that declares a variable twice', () => {
    expect(() => readSettings({ a: text('SAME'), b: { c: text('SAME') } }, {})).toThrow('SAME is declared twice');
  });

  it('is what the application schema is read with', () => {
    expect(readSettings(APP_CONFIG_SCHEMA, { PORT: '81' })).toEqual({ ...loadConfig({ PORT: '81' }) });
  });
});

