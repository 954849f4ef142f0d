import { plainToInstance } from 'class-transformer';
import { IsIn, IsOptional, Matches, ValidateBy, ValidationArguments, ValidationError, validateSync } from 'class-validator';

/**
 * The environment variables the service reads, as a class-validator schema: the `validate` pattern of
 * Nest's configuration docs. Values stay strings here (the environment has no other type); ranges are
 * checked on the text so that "eighty" or "1e3" is named as it was written, and `toAppConfig` turns the
 * validated strings into typed settings. An empty variable counts as unset.
 */

const got = (args: ValidationArguments) => `got "${String(args.value)}"`;

/** A whole number written in decimal digits, from min to max. */
function IsIntegerText(min: number, max: number) {
  return ValidateBy({
    name: 'isIntegerText',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max,
      defaultMessage: (args) => `${args?.property} must be an integer from ${min} to ${max}, ${args ? got(args) : ''}`,
    },
  });
}

function IsOneOf(allowed: readonly string[]) {
  return IsIn(allowed, { message: (args) => `${args.property} must be one of ${allowed.join(', ')}, ${got(args)}` });
}

const IsBooleanText = () => IsOneOf(['true', 'false']);

export class EnvironmentVariables {
  @IsOptional()
  @IsOneOf(['development', 'production', 'test'])
  NODE_ENV?: string;

  @IsOptional()
  HOST?: string;

  @IsOptional()
  @IsIntegerText(0, 65535)
  PORT?: string;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^/]+\/[^/?]+/, { message: 'DATABASE_URL must look like postgresql://user:password@host:5432/database' })
  DATABASE_URL?: string;

  @IsOptional()
  @IsIntegerText(1, 200)
  DATABASE_POOL_SIZE?: string;

  /** One or more read replicas, comma-separated. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^/,]+\/[^/?,]+[^,]*(,\s*postgres(ql)?:\/\/[^/,]+\/[^/?,]+[^,]*)*$/, {
    message: 'DATABASE_REPLICA_URL must be one or more comma-separated URLs like postgresql://user:password@replica:5432/database',
  })
  DATABASE_REPLICA_URL?: string;

  @IsOptional()
  @IsIntegerText(100, 600_000)
  DATABASE_CONNECT_TIMEOUT_MS?: string;

  @IsOptional()
  @IsIntegerText(100, 600_000)
  DATABASE_ACQUIRE_TIMEOUT_MS?: string;

  @IsOptional()
  @IsIntegerText(100, 3_600_000)
  DATABASE_STATEMENT_TIMEOUT_MS?: string;

  @IsOptional()
  @Matches(/^rediss?:\/\/\S+$/, { message: 'REDIS_URL must look like redis://host:6379' })
  REDIS_URL?: string;

  /** Namespaces this deployment's keys in a Redis that others may share (staging and production, test runs). */
  @IsOptional()
  @Matches(/^[A-Za-z0-9:_.-]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1 to 64 letters, digits or : _ . -' })
  REDIS_KEY_PREFIX?: string;

  /** Off by default: a hop count, or a comma-separated list of proxy addresses or CIDR ranges. */
  @IsOptional()
  @Matches(/^(\d{1,2}|[0-9a-fA-F:.]+(\/\d{1,3})?(\s*,\s*[0-9a-fA-F:.]+(\/\d{1,3})?)*)$/, {
    message: 'TRUST_PROXY must be a hop count (like 1) or a comma-separated list of proxy addresses or CIDR ranges (like 10.0.0.0/8,127.0.0.1)',
  })
  TRUST_PROXY?: string;

  @IsOptional()
  @IsIntegerText(0, 600_000)
  SHUTDOWN_TIMEOUT_MS?: string;

  @IsOptional()
  DATA_DIR?: string;

  @IsOptional()
  @IsIntegerText(1024, 10 * 1024 * 1024)
  BODY_LIMIT_BYTES?: string;

  @IsOptional()
  @IsOneOf(['error', 'warn', 'log', 'debug'])
  LOG_LEVEL?: string;

  @IsOptional()
  @IsBooleanText()
  SWAGGER_ENABLED?: string;

  @IsOptional()
  @ValidateBy({
    name: 'isStrongSecret',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && Buffer.byteLength(value) >= MIN_JWT_SECRET_BYTES,
      defaultMessage: () => `JWT_SECRET must be at least ${MIN_JWT_SECRET_BYTES} bytes (try: openssl rand -base64 48)`,
    },
  })
  JWT_SECRET?: string;

  @IsOptional()
  @IsIntegerText(30, 86_400)
  ACCESS_TOKEN_TTL_SECONDS?: string;

  @IsOptional()
  @IsIntegerText(60, 365 * 86_400)
  REFRESH_TOKEN_TTL_SECONDS?: string;

  @IsOptional()
  ADMIN_EMAIL?: string;

  @IsOptional()
  @Matches(/^[\s\S]{8,256}$/u, { message: 'ADMIN_PASSWORD must be 8 to 256 characters' })
  ADMIN_PASSWORD?: string;

  @IsOptional()
  @IsIntegerText(1, 100_000)
  AUTH_RATE_LIMIT_PER_IP?: string;

  /** Per account and client address (a refresh token: per token). */
  @IsOptional()
  @IsIntegerText(1, 100_000)
  AUTH_RATE_LIMIT_PER_ACCOUNT?: string;

  /** Per account from all addresses together: bounds a guess spread over many addresses. */
  @IsOptional()
  @IsIntegerText(1, 1_000_000)
  AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING?: string;

  /** How long change-feed events are kept: a client whose cursor is older must resynchronise (410). */
  @IsOptional()
  @IsIntegerText(1, 87_600)
  CHANGE_FEED_RETENTION_HOURS?: string;
}

/** HS256 needs a key at least as long as its output (RFC 7518 §3.2). */
export const MIN_JWT_SECRET_BYTES = 32;

/** AUTH_RATE_LIMIT_PER_ACCOUNT when unset: read by the check below and by `toAppConfig`. */
export const DEFAULT_AUTH_RATE_LIMIT_PER_ACCOUNT = 5;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    // One line, so that a process manager's log shows the whole cause where the process stopped.
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

type Env = Record<string, unknown>;

/**
 * Validates the environment (ConfigModule's `validate` contract: takes the raw variables, returns the
 * validated ones or throws). Every problem is reported at once; rules that involve several variables
 * are checked after the per-variable ones.
 */
export function validateEnvironment(env: Env): EnvironmentVariables {
  // Only the declared variables: the rest of the environment is none of the schema's business.
  const known = Object.fromEntries(ENVIRONMENT_VARIABLES.map((name) => [name, env[name] === '' ? undefined : env[name]]));
  const variables = plainToInstance(EnvironmentVariables, known);
  const problems = validateSync(variables, { validationError: { target: false } }).flatMap(messagesOf);
  const production = variables.NODE_ENV === 'production';
  if (production && variables.JWT_SECRET === undefined) problems.push('JWT_SECRET is required when NODE_ENV=production');
  if ((variables.ADMIN_EMAIL === undefined) !== (variables.ADMIN_PASSWORD === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }
  // At or below the per-address limit, the ceiling would let one address lock the account's owner out
  // again. (Only numbers written as digits: any other text has been named above already.)
  const digits = (value: string | undefined) => (value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined);
  const perAccount = digits(variables.AUTH_RATE_LIMIT_PER_ACCOUNT ?? String(DEFAULT_AUTH_RATE_LIMIT_PER_ACCOUNT));
  const ceiling = digits(variables.AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING);
  if (perAccount !== undefined && ceiling !== undefined && ceiling <= perAccount) {
    problems.push(`AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING must be greater than AUTH_RATE_LIMIT_PER_ACCOUNT (${perAccount}), got "${ceiling}"`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return variables;
}

function messagesOf(error: ValidationError): string[] {
  return Object.values(error.constraints ?? {});
}

/** Every variable the schema declares. */
export const ENVIRONMENT_VARIABLES = [
  'NODE_ENV',
  'HOST',
  'PORT',
  'DATABASE_URL',
  'DATABASE_POOL_SIZE',
  'DATABASE_REPLICA_URL',
  'DATABASE_CONNECT_TIMEOUT_MS',
  'DATABASE_ACQUIRE_TIMEOUT_MS',
  'DATABASE_STATEMENT_TIMEOUT_MS',
  'REDIS_URL',
  'REDIS_KEY_PREFIX',
  'TRUST_PROXY',
  'SHUTDOWN_TIMEOUT_MS',
  'DATA_DIR',
  'BODY_LIMIT_BYTES',
  'LOG_LEVEL',
  'SWAGGER_ENABLED',
  'JWT_SECRET',
  'ACCESS_TOKEN_TTL_SECONDS',
  'REFRESH_TOKEN_TTL_SECONDS',
  'ADMIN_EMAIL',
  'ADMIN_PASSWORD',
  'AUTH_RATE_LIMIT_PER_IP',
  'AUTH_RATE_LIMIT_PER_ACCOUNT',
  'AUTH_RATE_LIMIT_PER_ACCOUNT_CEILING',
  'CHANGE_FEED_RETENTION_HOURS',
] as const satisfies readonly (keyof EnvironmentVariables)[];
