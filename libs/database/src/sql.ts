import { createHash } from 'node:crypto';

/**
 * The one way this codebase writes SQL for node-postgres: a tagged template. Interpolated values become
 * parameters ($1, $2, …), never text, so nothing a client sends can change a statement; an interpolated
 * SqlQuery (a fragment) is spliced in with its own parameters renumbered; `raw` is for text the code
 * itself builds (a column list, an ORDER BY chosen from an allow-list): a fragment without parameters.
 *
 *   const rows = await db.query<Row>(sql`SELECT … FROM listing WHERE id = ${id}`);
 *   const statement = prepared('listing_by_id')`SELECT … FROM listing WHERE id = ${id}`;
 *
 * A `prepared` statement is parsed and planned once per connection under its name (PostgreSQL may then
 * use a generic plan), so its text must be the same on every call: build the varying parts with
 * `preparedByShape`, which names the statement after its text.
 */
export interface SqlQuery {
  /** Prepared once per connection under this name; without one, planned with its values on every execution. */
  readonly name?: string;
  readonly text: string;
  readonly values: unknown[];
  /** timestamptz columns come back as RFC 3339 strings, not Dates (see withWireTimestamps). */
  readonly wireTimestamps?: boolean;
}

/**
 * Marks what sql/raw/prepared built, so that only those are spliced as SQL: a value that merely looks
 * like one (an object with `text` and `values` from a parsed request body) stays a parameter.
 */
const FRAGMENT = Symbol('sql fragment');

function fragment(text: string, values: unknown[], name?: string): SqlQuery {
  return { name, text, values, [FRAGMENT]: true } as SqlQuery;
}

/** Text spliced into a statement as it is. Only for text the code builds itself, never for client input. */
export function raw(text: string): SqlQuery {
  return fragment(text, []);
}

/**
 * A statement a library wrote with its own $n placeholders (pg-boss): run as it is, with its values, so the
 * library's work can share the pool and, above all, a transaction of ours.
 */
export function librarySql(text: string, values: unknown[] = []): SqlQuery {
  return fragment(text, values);
}

function isQuery(value: unknown): value is SqlQuery {
  return typeof value === 'object' && value !== null && FRAGMENT in value;
}

/** A statement with its parameters, planned on every execution. */
export function sql(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery {
  let text = strings[0];
  const parameters: unknown[] = [];
  values.forEach((value, i) => {
    if (isQuery(value)) {
      // A fragment: its $n become the next free numbers here (longest first, so $12 is not read as $1).
      const offset = parameters.length;
      text += value.text.replace(/\$(\d+)/g, (_match, n: string) => `$${Number(n) + offset}`);
      parameters.push(...value.values);
    } else {
      parameters.push(value);
      text += `$${parameters.length}`;
    }
    text += strings[i + 1];
  });
  return fragment(text, parameters);
}

/** The parameters of a template's values in order: a fragment's own parameters where it stands. */
function parametersOf(values: unknown[]): unknown[] {
  const parameters: unknown[] = [];
  for (const value of values) {
    if (isQuery(value)) parameters.push(...value.values);
    else parameters.push(value);
  }
  return parameters;
}

/**
 * The text of every prepared statement, by name. A name stands for one text (node-postgres refuses a
 * name prepared with another text on the same connection), so the text is built on the first call only:
 * later calls, on the hot paths, just collect their values.
 */
const preparedTexts = new Map<string, string>();

/** The statement, prepared once per connection under `name`. */
export function prepared(name: string) {
  return (strings: TemplateStringsArray, ...values: unknown[]): SqlQuery => {
    const text = preparedTexts.get(name);
    if (text !== undefined) return fragment(text, parametersOf(values), name);
    const query = sql(strings, ...values);
    preparedTexts.set(name, query.text);
    return fragment(query.text, query.values, name);
  };
}

/** A statement whose text is built at run time, named after its text so each shape is prepared once. */
export function preparedByShape(prefix: string, query: SqlQuery): SqlQuery {
  return fragment(query.text, query.values, `${prefix}_${createHash('sha1').update(query.text).digest('base64url').slice(0, 16)}`);
}

/**
 * The same statement, its timestamptz columns read as the RFC 3339 UTC strings the API sends (WIRE_TIMESTAMP_TYPES)
 * rather than as Dates: for the reads whose rows are mapped straight to a response.
 */
export function withWireTimestamps(query: SqlQuery): SqlQuery {
  return { ...fragment(query.text, query.values, query.name), wireTimestamps: true };
}

/** Fragments joined by `separator` (text), each keeping its own parameters. */
export function join(fragments: readonly SqlQuery[], separator: string): SqlQuery {
  return fragments.reduce<SqlQuery>(
    (joined, fragment, i) => (i === 0 ? fragment : sql`${joined}${raw(separator)}${fragment}`),
    raw(''),
  );
}
