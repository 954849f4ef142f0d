import { MetricsToken } from './metrics-token';

describe('MetricsToken', () => {
  const token = new MetricsToken('s3cret-metrics-token-0123');

  it('admits exactly `Bearer <token>` (the scheme in any case)', () => {
    expect(token.admits('Bearer s3cret-metrics-token-0123')).toBe(true);
    expect(token.admits('bearer s3cret-metrics-token-0123')).toBe(true);
  });

  it('refuses no header, another scheme, a prefix, an extension, another token', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Basic s3cret-metrics-token-0123', 's3cret-metrics-token-0123', 'Bearer s3cret-metrics-token-012', 'Bearer s3cret-metrics-token-01234', 'Bearer other', 'Bearer s3cret-metrics-token-0123 extra']) {
      expect({ header, admitted: token.admits(header) }).toEqual({ header, admitted: false });
    }
  });
});
