import { DEFAULT_AUTH_RATE_LIMIT_PER_ACCOUNT, EnvironmentVariables, validateEnvironment } from './environment';

/**
 * Configuration, read once from the environment and validated at startup (class-validator schema in
 * environment.ts): a bad value stops the process with one line naming the variable, instead of failing
 * on the first request. main.ts reads it before Nest starts, because where the database is (embedded
 * or DATABASE_URL) must be known before the application module is built; AppConfigModule then serves
 * the same object through @nestjs/config's ConfigService.
 */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Unset: the service starts its own embedded PostgreSQL under `dataDir`. */
  databaseUrl?: string;
  databasePoolSize: number;
  /** Read replicas for public reads (empty: everything goes to the primary). */
  databaseReplicaUrls: string[];
  /** Bounds on how long a request waits for the database before it is answered 503. */
  databaseTimeouts: DatabaseTimeouts;
  /** Unset: rate-limit counters live in process memory (right for one instance). */
  redisUrl?: string;
  /** Prefix of every Redis key this deployment writes. */
  redisKeyPrefix: string;
  /** Fastify's trustProxy: false (off), a hop count, or the proxies' addresses / CIDR ranges. */
  trustProxy: false | number | string[];
  /** How long SIGTERM waits for requests in flight before the process exits anyway. */
  shutdownTimeoutMs: number;
  dataDir: string;
  bodyLimitBytes: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** Swagger UI and the OpenAPI document under /docs: on, except in production unless asked for. */
  swaggerEnabled: boolean;
  auth: AuthConfig;
  /** How long the change feed keeps its events (GET /listings/changes). */
  changeFeedRetentionHours: number;
}

export interface DatabaseTimeouts {
  /** Opening a new connection. */
  connectMs: number;
  /** Waiting for a free connection of the pool. */
  acquireMs: number;
  /** One statement (PostgreSQL's statement_timeout). */
  statementMs: number;
}

export interface AuthConfig {
  /** Unset outside production: a secret generated once and kept in DATA_DIR/jwt-secret. */
  jwtSecret?: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** With adminPassword: this account exists and is an active admin after startup. */
  adminEmail?: string;
  adminPassword?: string;
  /** Attempts per minute at login, register and refresh (each route counted apart), per client IP. */
  rateLimitPerIp: number;
  /** The same, per account and client IP together (a refresh token: per token), so a stranger cannot lock the owner out. */
  rateLimitPerAccount: number;
  /** The same, per account from all addresses together: what a guess spread over many addresses gets. */
  rateLimitPerAccountCeiling: number;
}

export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  return toAppConfig(validateEnvironment(env));
}

/** The validated variables as typed settings, with the defaults the README's table lists. */
export function toAppConfig(env: EnvironmentVariables): AppConfig {
  const int = (value: string | undefined, fallback: number) => (value === undefined ? fallback : Number(value));
  const list = (value: string | undefined) => (value === undefined ? [] : value.split(',').map((item) => item.trim()).filter(Boolean));
  const nodeEnv = (env.NODE_ENV ?? 'development') as AppConfig['nodeEnv'];
  const rateLimitPerAccount = int(env.AUTH_RATE_LIMIT_PER_ACCOUNT, DEFAULT_AUTH_RATE_LIMIT_PER_ACCOUNT);
  return {
    nodeEnv,
    host: env.HOST ?? '127.0.0.1',
    port: int(env.PORT, 3000),
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: int(env.DATABASE_POOL_SIZE, 10),
    databaseReplicaUrls: list(env.DATABASE_REPLICA_URL),
    databaseTimeouts: {
      connectMs: int(env.DATABASE_CONNECT_TIMEOUT_MS, 5_000),
      acquireMs: int(env.DATABASE_ACQUIRE_TIMEOUT_MS, 5_000),
      statementMs: int(env.DATABASE_STATEMENT_TIMEOUT_MS, 15_000),
    },
    redisUrl: env.REDIS_URL,
    redisKeyPrefix: env.REDIS_KEY_PREFIX ?? 'listing-api:',
    trustProxy: env.TRUST_PROXY === undefined ? false : /^\d+$/.test(env.TRUST_PROXY) ? Number(env.TRUST_PROXY) : list(env.TRUST_PROXY),
    shutdownTimeoutMs: int(env.SHUTDOWN_TIMEOUT_MS, 10_000),
    dataDir: env.DATA_DIR ?? '.data',
    bodyLimitBytes: int(env.BODY_LIMIT_BYTES, 100 * 1024),
    logLevel: (env.LOG_LEVEL ?? 'log') as AppConfig['logLevel'],
    swaggerEnabled: env.SWAGGER_ENABLED === undefined ? nodeEnv !== 'production' : env.SWAGGER_ENABLED === 'true',
    auth: {
      jwtSecret: env.JWT_SECRET,
      accessTokenTtlSeconds: int(env.ACCESS_TOKEN_TTL_SECONDS, 900),
      refreshTokenTtlSeconds: int(env.REFRESH_TOKEN_TTL_SECONDS, 30 * 86_400),
      adminEmail: env.ADMIN_EMAIL,
      adminPassword: env.ADMIN_PASSWORD,
      rateLimitPerIp: int(env.AUTH_RATE_LIMIT_PER_IP, 20),
      rateLimitPerAccount,
      // Ten addresses' worth (50 by default): fewer addresses are stopped by their own limits first.
      rateLimitPerAccountCeiling: int(env.AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING, 10 * rateLimitPerAccount),
    },
    changeFeedRetentionHours: int(env.CHANGE_FEED_RETENTION_HOURS, 168),
  };
}
