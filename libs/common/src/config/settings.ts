/**
 * A small environment schema: each setting is declared once, with its variable's name, how its text is
 * read and checked, and its default (`app-config.ts` holds the service's). The typed configuration is
 * inferred from the schema, so a new setting is one entry there (and its README row, which a test checks).
 *
 * Values are checked on the text as written, so that "eighty" or "1e3" is named as it was given; an empty
 * variable counts as unset, and variables the schema does not declare are none of its business.
 */

/** What a variable's text means: its value, or what is wrong with it (the words after the variable's name). */
export type Reading<V> = { value: V } | { problem: string };

export const valid = <V>(value: V): Reading<V> => ({ value });
export const invalid = (problem: string): Reading<never> => ({ problem });

/** Reads the value of another setting, from a default or a check; `isSet` says whether its variable is set at all (even to a bad value). */
export interface SettingLookup {
  <T>(setting: Setting<T>): T;
  isSet(setting: Setting<unknown>): boolean;
}

/** A rule on the resolved value, which may look at other settings: undefined, or what is wrong (after the name). */
export type SettingCheck<T> = (value: T, get: SettingLookup) => string | undefined;

/** One environment variable. `T` includes `undefined` until the setting has a default. */
export class Setting<T> {
  /** The value's type, for inference only (never set). */
  declare readonly valueType: T;

  private constructor(
    readonly name: string,
    readonly read: (text: string) => Reading<unknown>,
    readonly fallback: ((get: SettingLookup) => unknown) | undefined,
    readonly checks: readonly SettingCheck<unknown>[],
  ) {}

  static optional<V>(name: string, read: (text: string) => Reading<V>): Setting<V | undefined> {
    return new Setting(name, read, undefined, []);
  }

  /** The value when the variable is unset: a constant, or computed from other settings. */
  default(value: Exclude<T, undefined> | ((get: SettingLookup) => Exclude<T, undefined>)): Setting<Exclude<T, undefined>> {
    const fallback = typeof value === 'function' ? (value as (get: SettingLookup) => unknown) : () => value;
    return new Setting(this.name, this.read, fallback, this.checks);
  }

  /** A rule run on the value once every setting is read (also when unset); skipped when a setting it reads is invalid. */
  check(rule: SettingCheck<T>): Setting<T> {
    return new Setting(this.name, this.read, this.fallback, [...this.checks, rule as SettingCheck<unknown>]);
  }
}

/** Settings, grouped as the typed configuration groups them. */
export interface SettingsSchema {
  readonly [key: string]: Setting<unknown> | SettingsSchema;
}

/** The typed configuration a schema describes. */
export type ConfigOf<S extends SettingsSchema> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : S[K] extends SettingsSchema ? ConfigOf<S[K]> : never;
};

/**
 * A class whose instances are the configuration a schema describes: `class AppConfig extends
 * configClass(SCHEMA) {}` is one type and one injection token (Nest injects providers by class).
 */
export function configClass<S extends SettingsSchema>(_schema: S): new (values: ConfigOf<S>) => ConfigOf<S> {
  return class {
    constructor(values: ConfigOf<S>) {
      Object.assign(this, values);
    }
  } as unknown as new (values: ConfigOf<S>) => ConfigOf<S>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    // One line, so that a process manager's log shows the whole cause where the process stopped.
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

/** Every setting of a schema, in declaration order. */
export function settingsOf(schema: SettingsSchema): Setting<unknown>[] {
  return Object.values(schema).flatMap((entry) => (entry instanceof Setting ? [entry] : settingsOf(entry)));
}

/** Thrown inside a lookup when the setting asked for has no valid value (its own problem is reported). */
const UNAVAILABLE = new Error('a setting this one depends on is invalid');

type State = { value: unknown } | 'invalid' | 'reading';

/**
 * Reads and checks every setting of `schema` from `env`. Every problem is reported at once, in one
 * ConfigError; a default or a check that depends on an invalid setting is skipped, so each bad variable
 * is named once, for what it is.
 */
export function readSettings<S extends SettingsSchema>(schema: S, env: Record<string, string | undefined>): ConfigOf<S> {
  const settings = new Map<string, Setting<unknown>>();
  for (const setting of settingsOf(schema)) {
    if (settings.has(setting.name)) throw new Error(`${setting.name} is declared twice`);
    settings.set(setting.name, setting);
  }
  const text = (name: string) => (env[name] === '' ? undefined : env[name]);
  const states = new Map<string, State>();
  const problems: string[] = [];

  const resolve = (name: string): unknown => {
    const setting = settings.get(name);
    if (!setting) throw new Error(`${name} is not a declared setting`);
    const state = states.get(name);
    if (state === 'reading') throw new Error(`${name}'s default depends on itself`);
    if (state === 'invalid') throw UNAVAILABLE;
    if (state) return state.value;
    states.set(name, 'reading');
    const raw = text(name);
    let next: State;
    if (raw === undefined) {
      try {
        next = { value: setting.fallback?.(get) };
      } catch (error) {
        if (error !== UNAVAILABLE) throw error;
        next = 'invalid';
      }
    } else {
      const reading = setting.read(raw);
      if ('problem' in reading) problems.push(`${name} ${reading.problem}`);
      next = 'problem' in reading ? 'invalid' : { value: reading.value };
    }
    states.set(name, next);
    if (next === 'invalid') throw UNAVAILABLE;
    return next.value;
  };
  const get = Object.assign(<T>(setting: Setting<T>): T => resolve(setting.name) as T, {
    isSet: (setting: Setting<unknown>) => text(setting.name) !== undefined,
  });
  const attempt = <R>(read: () => R): R | typeof UNAVAILABLE => {
    try {
      return read();
    } catch (error) {
      if (error === UNAVAILABLE) return UNAVAILABLE;
      throw error;
    }
  };

  // Every value first, so that each variable's own problem comes before the rules that involve several.
  const values = new Map([...settings.keys()].map((name) => [name, attempt(() => resolve(name))]));
  for (const setting of settings.values()) {
    const value = values.get(setting.name);
    if (value === UNAVAILABLE) continue;
    for (const check of setting.checks) {
      const problem = attempt(() => check(value, get));
      if (typeof problem === 'string') problems.push(`${setting.name} ${problem}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const build = (group: SettingsSchema): Record<string, unknown> =>
    Object.fromEntries(Object.entries(group).map(([key, entry]) => [key, entry instanceof Setting ? resolve(entry.name) : build(entry)]));
  return build(schema) as ConfigOf<S>;
}

// The kinds of variables the service has. Messages name what is allowed and, where the value is no
// secret, what was given.

const got = (raw: string) => `got "${raw}"`;

/** Any text. */
export function text(name: string): Setting<string | undefined> {
  return Setting.optional(name, valid);
}

/** A whole number written in decimal digits, from min to max. */
export function integer(name: string, min: number, max: number): Setting<number | undefined> {
  return Setting.optional(name, (raw) =>
    /^\d+$/.test(raw) && Number(raw) >= min && Number(raw) <= max ? valid(Number(raw)) : invalid(`must be an integer from ${min} to ${max}, ${got(raw)}`),
  );
}

export function oneOf<const V extends string>(name: string, allowed: readonly V[]): Setting<V | undefined> {
  return Setting.optional(name, (raw) => (allowed.includes(raw as V) ? valid(raw as V) : invalid(`must be one of ${allowed.join(', ')}, ${got(raw)}`)));
}

/** `true` or `false`. */
export function flag(name: string): Setting<boolean | undefined> {
  return Setting.optional(name, (raw) => (raw === 'true' || raw === 'false' ? valid(raw === 'true') : invalid(`must be one of true, false, ${got(raw)}`)));
}

/** Text matching `pattern`, optionally turned into another value; `rule` says what is expected (the value is not echoed: it may hold a password). */
export function matching(name: string, pattern: RegExp, rule: string): Setting<string | undefined>;
export function matching<V>(name: string, pattern: RegExp, rule: string, convert: (raw: string) => V): Setting<V | undefined>;
export function matching(name: string, pattern: RegExp, rule: string, convert: (raw: string) => unknown = (raw) => raw): Setting<unknown> {
  return Setting.optional(name, (raw) => (pattern.test(raw) ? valid(convert(raw)) : invalid(rule)));
}

/** A comma-separated list, without blanks. */
export const commaSeparated = (raw: string): string[] =>
  raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
