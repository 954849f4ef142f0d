import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * String lengths as the OpenAPI document states them: JSON Schema's `minLength`/`maxLength` count
 * Unicode code points. class-validator's MinLength/MaxLength (validator.js `isLength`) count UTF-16
 * units minus surrogate pairs *and minus variation selectors* (U+FE0E/U+FE0F after a character), so
 * "1234567\uFE0E" was 7 characters long to the service and 8 to every client reading the document:
 * a documented-valid 8-character password got a 422, and a 256-character name got in under
 * `maxLength: 255`. Same names and messages as class-validator's, so only the import changes.
 */
export function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}

/**
 * A string of n UTF-16 units holds between n/2 and n code points, so most strings are decided by `length` alone,
 * without walking them (a 10 000-character description would otherwise be walked twice per request).
 */
function atLeastCodePoints(text: string, min: number): boolean {
  if (text.length < min) return false;
  return Math.ceil(text.length / 2) >= min || codePointLength(text) >= min;
}

function atMostCodePoints(text: string, max: number): boolean {
  if (text.length <= max) return true;
  return Math.ceil(text.length / 2) <= max && codePointLength(text) <= max;
}

export function MinLength(min: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'minLength',
      constraints: [min],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && atLeastCodePoints(value, min),
        defaultMessage: () => `$property must be longer than or equal to ${min} characters`,
      },
    },
    options,
  );
}

export function MaxLength(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxLength',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && atMostCodePoints(value, max),
        defaultMessage: () => `$property must be shorter than or equal to ${max} characters`,
      },
    },
    options,
  );
}
