/**
 * Configuration, read once from the environment and validated at startup: a bad value stops the process
 * with a message naming the variable, instead of failing on the first request.
 */
export interface AppConfig {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Unset: the service starts its own embedded PostgreSQL under `dataDir`. */
  databaseUrl?: string;
  databasePoolSize: number;
  dataDir: string;
  bodyLimitBytes: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug';
  /** Swagger UI and the OpenAPI document under /docs: on, except in production unless asked for. */
  swaggerEnabled: boolean;
  auth: AuthConfig;
}

export interface AuthConfig {
  /** Unset outside production: a secret generated once and kept in DATA_DIR/jwt-secret. */
  jwtSecret?: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** With adminPassword: this account exists and is an active admin after startup. */
  adminEmail?: string;
  adminPassword?: string;
  /** Attempts per minute at login, register and refresh, per client IP and per account. */
  rateLimitPerIp: number;
  rateLimitPerAccount: number;
}

/** HS256 needs a key at least as long as its output (RFC 7518 §3.2). */
export const MIN_JWT_SECRET_BYTES = 32;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string, fallback: string): string {
    const value = this.env[name];
    return value === undefined || value === '' ? fallback : value;
  }

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  bool(name: string, fallback: boolean): boolean {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (raw !== 'true' && raw !== 'false') {
      this.problems.push(`${name} must be true or false, got "${raw}"`);
      return fallback;
    }
    return raw === 'true';
  }

  oneOf<T extends string>(name: string, fallback: T, allowed: readonly T[]): T {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    if (!allowed.includes(raw as T)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
      return fallback;
    }
    return raw as T;
  }
}

export function loadConfig(env: Env = process.env): AppConfig {
  const read = new Reader(env);
  const databaseUrl = read.optional('DATABASE_URL');
  if (databaseUrl && !/^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(databaseUrl)) {
    read.problems.push('DATABASE_URL must look like postgresql://user:password@host:5432/database');
  }
  const nodeEnv = read.oneOf('NODE_ENV', 'development', ['development', 'production', 'test'] as const);
  const config: AppConfig = {
    nodeEnv,
    host: read.string('HOST', '127.0.0.1'),
    port: read.int('PORT', 3000, 0, 65535),
    databaseUrl,
    databasePoolSize: read.int('DATABASE_POOL_SIZE', 10, 1, 200),
    dataDir: read.string('DATA_DIR', '.data'),
    bodyLimitBytes: read.int('BODY_LIMIT_BYTES', 100 * 1024, 1024, 10 * 1024 * 1024),
    logLevel: read.oneOf('LOG_LEVEL', 'log', ['error', 'warn', 'log', 'debug'] as const),
    swaggerEnabled: read.bool('SWAGGER_ENABLED', nodeEnv !== 'production'),
    auth: {
      jwtSecret: read.optional('JWT_SECRET'),
      accessTokenTtlSeconds: read.int('ACCESS_TOKEN_TTL_SECONDS', 900, 30, 86_400),
      refreshTokenTtlSeconds: read.int('REFRESH_TOKEN_TTL_SECONDS', 30 * 86_400, 60, 365 * 86_400),
      adminEmail: read.optional('ADMIN_EMAIL'),
      adminPassword: read.optional('ADMIN_PASSWORD'),
      rateLimitPerIp: read.int('AUTH_RATE_LIMIT_PER_IP', 20, 1, 100_000),
      rateLimitPerAccount: read.int('AUTH_RATE_LIMIT_PER_ACCOUNT', 5, 1, 100_000),
    },
  };
  const { jwtSecret, adminEmail, adminPassword } = config.auth;
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < MIN_JWT_SECRET_BYTES) {
    read.problems.push(`JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes (try: openssl rand -base64 48)`);
  }
  if (config.nodeEnv === 'production' && jwtSecret === undefined) {
    read.problems.push('JWT_SECRET is required when NODE_ENV=production');
  }
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    read.problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  if (adminPassword !== undefined && (adminPassword.length < 8 || adminPassword.length > 256)) {
    read.problems.push('ADMIN_PASSWORD must be 8 to 256 characters');
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return config;
}
