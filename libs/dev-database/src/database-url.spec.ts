import { parseDatabaseUrl, quoteIdent, withDatabase } from './database-url';

describe('database URLs', () => {
  it('are parsed into decoded parts', () => {
    expect(parseDatabaseUrl('postgresql://app:p%40ss@db.internal:6543/listings')).toEqual({
      host: 'db.internal',
      port: 6543,
      user: 'app',
      password: 'p@ss',
      database: 'listings',
    });
  });

  it('must name a database and use the postgres scheme', () => {
    expect(() => parseDatabaseUrl('postgresql://db:5432/')).toThrow(/names no database/);
    expect(() => parseDatabaseUrl('mysql://db/x')).toThrow(/postgres/);
    expect(() => parseDatabaseUrl('not a url')).toThrow(/not a valid URL/);
  });

  it('can point at another database of the same server', () => {
    expect(withDatabase('postgresql://u:p@h:5432/main?sslmode=disable', 'listing_test_1')).toBe('postgresql://u:p@h:5432/listing_test_1?sslmode=disable');
  });

  it('quote identifiers', () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });
});
