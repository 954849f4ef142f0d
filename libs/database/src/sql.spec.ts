import { join, prepared, preparedByShape, raw, sql } from './sql';

describe('the sql tagged template', () => {
  it('turns every interpolated value into a parameter, never into text', () => {
    const hostile = "x'; DROP TABLE listing; --";
    expect(sql`SELECT id FROM listing WHERE city = ${hostile} AND rooms_count >= ${3}`).toMatchObject({
      text: 'SELECT id FROM listing WHERE city = $1 AND rooms_count >= $2',
      values: [hostile, 3],
    });
  });

  it('splices fragments with their parameters renumbered after the ones before them', () => {
    const filters = [sql`city = ${'Paris'}`, sql`latest_price_eur >= ${500000}`];
    const where = join(filters, ' AND ');
    const query = sql`SELECT id FROM listing WHERE owner_id = ${7} AND ${where} LIMIT ${50}`;
    expect(query.text).toBe('SELECT id FROM listing WHERE owner_id = $1 AND city = $2 AND latest_price_eur >= $3 LIMIT $4');
    expect(query.values).toEqual([7, 'Paris', 500000, 50]);
  });

  it('renumbers $10 and above as whole numbers', () => {
    const eleven = sql`${1},${2},${3},${4},${5},${6},${7},${8},${9},${10},${11}`;
    expect(sql`SELECT ${0}, ${eleven}`.text).toBe('SELECT $1, $2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12');
  });

  it('keeps an object that only looks like a fragment (from a request body) a parameter', () => {
    const lookalike = JSON.parse('{"text": "1 = 1 OR 1", "values": []}') as unknown;
    expect(sql`SELECT id FROM listing WHERE name = ${lookalike}`.text).toBe('SELECT id FROM listing WHERE name = $1');
  });

  it('splices raw text as it is', () => {
    expect(sql`SELECT id FROM listing ORDER BY ${raw('latest_price_eur DESC, id DESC')}`).toMatchObject({ text: 'SELECT id FROM listing ORDER BY latest_price_eur DESC, id DESC', values: [] });
  });

  it('names prepared statements, and statements built at run time after their text', () => {
    expect(prepared('listing_by_id')`SELECT 1 FROM listing WHERE id = ${5}`).toMatchObject({ name: 'listing_by_id', text: 'SELECT 1 FROM listing WHERE id = $1', values: [5] });
    const a = preparedByShape('search', sql`SELECT 1 WHERE a = ${1}`);
    const b = preparedByShape('search', sql`SELECT 1 WHERE a = ${2}`);
    const c = preparedByShape('search', sql`SELECT 1 WHERE b = ${1}`);
    expect(a.name).toBe(b.name);
    expect(a.name).not.toBe(c.name);
    expect(b.values).toEqual([2]);
  });

  it('builds a prepared statement\'s text once: later calls carry their own values, fragments included', () => {
    const byId = (id: number, city: string) => prepared('spec_same_text')`SELECT 1 FROM listing WHERE id = ${id} AND ${sql`city = ${city}`} LIMIT ${10}`;
    const first = byId(1, 'Paris');
    const second = byId(2, 'Lyon');
    expect(second.text).toBe(first.text);
    expect(first.text).toBe('SELECT 1 FROM listing WHERE id = $1 AND city = $2 LIMIT $3');
    expect(second.values).toEqual([2, 'Lyon', 10]);
    expect(second.name).toBe('spec_same_text');
  });

  it('joins nothing into an empty fragment', () => {
    expect(join([], ' AND ')).toMatchObject({ text: '', values: [] });
  });
});
