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
}

/**
 * Marks what sql/raw/prepared built, so that only those are spliced as SQL: a value that merely looks
 * like one (an object with `text` and `values` from a parsed request body) stays a parameter.
 */
const FRAGMENT = Symbol('sql fragment');

function fragment(query: { name?: string; text: string; values: unknown[] }): SqlQuery {
  return { ...query, [FRAGMENT]: true } as SqlQuery;
}

/** Text spliced into a statement as it is. Only for text the code builds itself, never for client input. */
export function raw(text: string): SqlQuery {
  return fragment({ text, values: [] });
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
  return fragment({ text, values: parameters });
}

/** The statement, prepared once per connection under `name`. */
export function prepared(name: string) {
  return (strings: TemplateStringsArray, ...values: unknown[]): SqlQuery => fragment({ name, ...sql(strings, ...values) });
}

/** A statement whose text is built at run time, named after its text so each shape is prepared once. */
export function preparedByShape(prefix: string, query: SqlQuery): SqlQuery {
  return fragment({ name: `${prefix}_${createHash('sha1').update(query.text).digest('base64url').slice(0, 16)}`, text: query.text, values: query.values });
}

/** Fragments joined by `separator` (text), each keeping its own parameters. */
export function join(fragments: readonly SqlQuery[], separator: string): SqlQuery {
  return fragments.reduce<SqlQuery>(
    (joined, fragment, i) => (i === 0 ? fragment : sql`${joined}${raw(separator)}${fragment}`),
    raw(''),
  );
}
