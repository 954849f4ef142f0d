import { Setting, commaSeparated, configClass, flag, integer, invalid, matching, oneOf, readSettings, settingsOf, text, valid } from './settings';

/**
 * The service's settings: every environment variable it reads, with its type, its checks and its
 * default, in one place; the typed configuration (AppConfig) is inferred from it. A new setting is one
 * entry here plus its row in the README's configuration table (a test compares the two).
 *
 * Read once, at startup: a bad value stops the process with one line naming every bad variable, instead
 * of failing on the first request. main.ts reads it before Nest starts, because where the database is
 * (embedded or DATABASE_URL) must be known before the application module is built; AppConfigModule
 * then provides the same object to every module, injected by its class.
 */

/** HS256 needs a key at least as long as its output (RFC 7518 §3.2). */
export const MIN_JWT_SECRET_BYTES = 32;

// Settings that others' defaults or checks read.
const NODE_ENV = oneOf('NODE_ENV', ['development', 'production', 'test']).default('development');
const ADMIN_EMAIL = text('ADMIN_EMAIL');
const ADMIN_PASSWORD = matching('ADMIN_PASSWORD', /^[\s\S]{8,256}$/u, 'must be 8 to 256 characters');
/** Per account and client address (a refresh token: per token). */
const AUTH_RATE_LIMIT_PER_ACCOUNT = integer('AUTH_RATE_LIMIT_PER_ACCOUNT', 1, 100_000).default(5);
const SHUTDOWN_TIMEOUT_MS = integer('SHUTDOWN_TIMEOUT_MS', 0, 600_000).default(10_000);

export const APP_CONFIG_SCHEMA = {
  nodeEnv: NODE_ENV,
  host: text('HOST').default('127.0.0.1'),
  port: integer('PORT', 0, 65_535).default(3000),
  /** Unset: the service starts its own embedded PostgreSQL under `dataDir`. */
  databaseUrl: matching('DATABASE_URL', /^postgres(ql)?:\/\/[^/]+\/[^/?]+/, 'must look like postgresql://user:password@host:5432/database'),
  databasePoolSize: integer('DATABASE_POOL_SIZE', 1, 200).default(10),
  /** Read replicas for public reads, comma-separated (empty: everything goes to the primary). */
  databaseReplicaUrls: matching(
    'DATABASE_REPLICA_URL',
    /^postgres(ql)?:\/\/[^/,]+\/[^/?,]+[^,]*(,\s*postgres(ql)?:\/\/[^/,]+\/[^/?,]+[^,]*)*$/,
    'must be one or more comma-separated URLs like postgresql://user:password@replica:5432/database',
    commaSeparated,
  ).default([]),
  /** Bounds on how long a request waits for the database before it is answered 503. */
  databaseTimeouts: {
    /** Opening a new connection. */
    connectMs: integer('DATABASE_CONNECT_TIMEOUT_MS', 100, 600_000).default(5_000),
    /** Waiting for a free connection of the pool. */
    acquireMs: integer('DATABASE_ACQUIRE_TIMEOUT_MS', 100, 600_000).default(5_000),
    /** One statement (PostgreSQL's statement_timeout). */
    statementMs: integer('DATABASE_STATEMENT_TIMEOUT_MS', 100, 3_600_000).default(15_000),
  },
  /** Unset: rate-limit counters live in process memory (right for one instance). */
  redisUrl: matching('REDIS_URL', /^rediss?:\/\/\S+$/, 'must look like redis://host:6379'),
  /** Prefix of every Redis key this deployment writes: deployments (staging and production, test runs) can share one Redis. */
  redisKeyPrefix: matching('REDIS_KEY_PREFIX', /^[A-Za-z0-9:_.-]{1,64}$/, 'must be 1 to 64 letters, digits or : _ . -').default('listing-api:'),
  /** Fastify's trustProxy: false (off), a hop count, or the proxies' addresses / CIDR ranges. */
  trustProxy: matching(
    'TRUST_PROXY',
    /^(\d{1,2}|[0-9a-fA-F:.]+(\/\d{1,3})?(\s*,\s*[0-9a-fA-F:.]+(\/\d{1,3})?)*)$/,
    'must be a hop count (like 1) or a comma-separated list of proxy addresses or CIDR ranges (like 10.0.0.0/8,127.0.0.1)',
    (raw): false | number | string[] => (/^\d+$/.test(raw) ? Number(raw) : commaSeparated(raw)),
  ).default(false),
  /** From SIGTERM to the exit at the latest: the delay, the drain and closing the pools fit in it. */
  shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS,
  /** After SIGTERM, how long to keep serving as usual (readiness already 503) before the drain: load balancers stop sending meanwhile. */
  shutdownDelayMs: integer('SHUTDOWN_DELAY_MS', 0, 600_000)
    .default(0)
    .check((delay, get) => {
      const timeout = get(SHUTDOWN_TIMEOUT_MS);
      return delay === 0 || delay < timeout ? undefined : `must be less than SHUTDOWN_TIMEOUT_MS (${timeout}), which counts from the signal and includes the delay, got "${delay}"`;
    }),
  dataDir: text('DATA_DIR').default('.data'),
  bodyLimitBytes: integer('BODY_LIMIT_BYTES', 1024, 10 * 1024 * 1024).default(100 * 1024),
  logLevel: oneOf('LOG_LEVEL', ['error', 'warn', 'log', 'debug']).default('log'),
  /**
   * Unset: no /metrics (404) and no request metrics recorded. Set: GET /metrics answers Prometheus scrapes that send
   * `Authorization: Bearer <METRICS_TOKEN>`. Visible ASCII, so that it fits a header and a Prometheus config unquoted.
   */
  metricsToken: matching('METRICS_TOKEN', /^[\x21-\x7e]{16,512}$/, 'must be 16 to 512 visible ASCII characters, no spaces (try: openssl rand -hex 32)'),
  /** Swagger UI and the OpenAPI document under /docs: on, except in production unless asked for. */
  swaggerEnabled: flag('SWAGGER_ENABLED').default((get) => get(NODE_ENV) !== 'production'),
  auth: {
    /** Required in production. Unset otherwise: a secret generated once and kept in DATA_DIR/jwt-secret. */
    jwtSecret: Setting.optional('JWT_SECRET', (raw) =>
      Buffer.byteLength(raw) >= MIN_JWT_SECRET_BYTES ? valid(raw) : invalid(`must be at least ${MIN_JWT_SECRET_BYTES} bytes (try: openssl rand -base64 48)`),
    ).check((secret, get) => (secret === undefined && get(NODE_ENV) === 'production' ? 'is required when NODE_ENV=production' : undefined)),
    accessTokenTtlSeconds: integer('ACCESS_TOKEN_TTL_SECONDS', 30, 86_400).default(900),
    refreshTokenTtlSeconds: integer('REFRESH_TOKEN_TTL_SECONDS', 60, 365 * 86_400).default(30 * 86_400),
    /** With adminPassword: this account exists and is an active admin after startup. */
    adminEmail: ADMIN_EMAIL.check((_email, get) => (get.isSet(ADMIN_EMAIL) !== get.isSet(ADMIN_PASSWORD) ? 'and ADMIN_PASSWORD must be set together' : undefined)),
    adminPassword: ADMIN_PASSWORD,
    /** Attempts per minute at login, register and refresh (each route counted apart), per client IP. */
    rateLimitPerIp: integer('AUTH_RATE_LIMIT_PER_IP', 1, 100_000).default(20),
    /** The same, per account and client IP together (a refresh token: per token), so a stranger cannot lock the owner out. */
    rateLimitPerAccount: AUTH_RATE_LIMIT_PER_ACCOUNT,
    /**
     * The same, per account from all addresses together: what a guess spread over many addresses gets.
     * Ten addresses' worth by default (50): fewer addresses are stopped by their own limits first. At or
     * below the per-address limit, one address would reach it: its owner locked out again.
     */
    rateLimitPerAccountCeiling: integer('AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING', 1, 1_000_000)
      .default((get) => 10 * get(AUTH_RATE_LIMIT_PER_ACCOUNT))
      .check((ceiling, get) => {
        const perAccount = get(AUTH_RATE_LIMIT_PER_ACCOUNT);
        return ceiling > perAccount ? undefined : `must be greater than AUTH_RATE_LIMIT_PER_ACCOUNT (${perAccount}), got "${ceiling}"`;
      }),
    /** Requests per minute per API key (any route), counted like the sign-in limits (in Redis when REDIS_URL is set). */
    apiKeyRateLimitPerMinute: integer('API_KEY_RATE_LIMIT_PER_MINUTE', 1, 1_000_000).default(600),
  },
  /** How long the change feed keeps its events (GET /listings/changes): an older cursor must resynchronise (410). */
  changeFeedRetentionHours: integer('CHANGE_FEED_RETENTION_HOURS', 1, 87_600).default(168),
  /** How long the audit log keeps its entries (purged hourly by audit_log_purge, the only DELETE its trigger lets through). */
  auditRetentionDays: integer('AUDIT_RETENTION_DAYS', 1, 36_500).default(365),
  webhooks: {
    /** One attempt (connect, response headers and the first KB of the body): a 2xx within it is success. */
    timeoutMs: integer('WEBHOOK_TIMEOUT_MS', 100, 60_000).default(10_000),
    /** Waits before each retry after a failed attempt (jittered ±25%); after the last, the delivery is dead. */
    retrySchedule: matching(
      'WEBHOOK_RETRY_SCHEDULE',
      /^\s*\d+(ms|s|m|h)\s*(,\s*\d+(ms|s|m|h)\s*){0,19}$/,
      'must be 1 to 20 comma-separated durations like 5s,30s,2m,10m,1h,6h,24h',
      parseDurations,
    ).default(parseDurations('5s,30s,2m,10m,1h,6h,24h')),
    /** After a secret rotation, deliveries are signed with both secrets for this long. */
    secretOverlapSeconds: integer('WEBHOOK_SECRET_OVERLAP_SECONDS', 0, 30 * 86_400).default(86_400),
    /** This many dead deliveries in a row disable the subscription. */
    disableAfterDead: integer('WEBHOOK_DISABLE_AFTER_DEAD', 1, 1_000).default(5),
    maxPerAccount: integer('WEBHOOK_MAX_PER_ACCOUNT', 1, 10_000).default(25),
    /** Lets destinations be loopback or private addresses: for development and tests only, never in production. */
    allowPrivateUrls: flag('WEBHOOK_ALLOW_PRIVATE_URLS').default(false),
    /** How often each instance looks for new change-feed events to hand to the subscriptions. */
    dispatchIntervalMs: integer('WEBHOOK_DISPATCH_INTERVAL_MS', 10, 60_000).default(50),
    /** Deliveries one instance sends at once. */
    concurrency: integer('WEBHOOK_CONCURRENCY', 1, 1_000).default(50),
    /**
     * Whether this instance sends deliveries. `false` makes an API-only instance: it still hands events to the
     * subscriptions (the relay, one instance at a time) and enqueues pings and manual retries, but the sending
     * (TLS, signing, waiting on receivers) is left to the instances with `true`, of which there must be at least one.
     */
    worker: flag('WEBHOOK_WORKER').default(true),
  },
};

/** "5s,30s,2m" → milliseconds. */
function parseDurations(raw: string): number[] {
  const unit: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  return raw.split(',').map((part) => {
    const [, amount, suffix] = /^\s*(\d+)(ms|s|m|h)\s*$/.exec(part)!;
    return Number(amount) * unit[suffix];
  });
}

/** The settings, typed and validated: what modules inject (`constructor(private readonly config: AppConfig)`). */
export class AppConfig extends configClass(APP_CONFIG_SCHEMA) {}

/** Every environment variable the service reads. */
export const CONFIG_VARIABLES: readonly string[] = settingsOf(APP_CONFIG_SCHEMA).map((setting) => setting.name);

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  return new AppConfig(readSettings(APP_CONFIG_SCHEMA, env));
}
