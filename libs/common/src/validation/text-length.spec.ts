import { validateSync } from 'class-validator';
import { MaxLength, MinLength, codePointLength } from './text-length';

class Named {
  @MinLength(2)
  @MaxLength(4)
  name!: string;
}

const valid = (name: string) => validateSync(Object.assign(new Named(), { name })).length === 0;

describe('MinLength / MaxLength count Unicode code points, as the OpenAPI document does', () => {
  it('plain text at and around the limits', () => {
    expect([valid('a'), valid('ab'), valid('abcd'), valid('abcde')]).toEqual([false, true, true, false]);
  });

  it('a surrogate pair is one code point: four emoji (8 UTF-16 units) fit in 4, five do not', () => {
    expect(valid('😀😀😀😀')).toBe(true);
    expect(valid('😀😀😀😀😀')).toBe(false);
    expect(valid('😀')).toBe(false);
    expect(valid('😀😀')).toBe(true);
  });

  it('a variation selector is a code point of its own (class-validator would not count it)', () => {
    expect(codePointLength('abc\uFE0E')).toBe(4);
    expect(valid('abcd\uFE0E')).toBe(false);
    expect(valid('a\uFE0E')).toBe(true);
  });
});
