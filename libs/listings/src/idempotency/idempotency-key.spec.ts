import { BadRequestException } from '@nestjs/common';
import { canonicalJson, parseIdempotencyKey, requestHash } from './idempotency-key';

describe('Idempotency-Key', () => {
  it('accepts visible ASCII keys, bare or in the quoted form', () => {
    expect(parseIdempotencyKey('8e03978e-40d5-43e8-bc93-6894a57f9324')).toBe('8e03978e-40d5-43e8-bc93-6894a57f9324');
    expect(parseIdempotencyKey('"abc"')).toBe('abc');
    expect(parseIdempotencyKey('x'.repeat(255))).toBe('x'.repeat(255));
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
  });

  it.each(['', ' ', 'a b', 'x'.repeat(256), 'é', '""', '"a"b"', ['a', 'b']])('rejects %j with a 400', (key) => {
    expect(() => parseIdempotencyKey(key)).toThrow(BadRequestException);
  });

  it('hashes the same body the same whatever the order of its properties', () => {
    expect(requestHash({ a: 1, b: { c: [1, 2], d: null } })).toBe(requestHash({ b: { d: null, c: [1, 2] }, a: 1 }));
    expect(requestHash({ a: 1 })).not.toBe(requestHash({ a: 2 }));
    expect(canonicalJson({ b: 1, a: [true, 'x'] })).toBe('{"a":[true,"x"],"b":1}');
  });
});
