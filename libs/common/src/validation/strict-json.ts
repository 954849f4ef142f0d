import { FieldError } from '../errors/api-error';

/**
 * Names that no request field has and that mean something to JavaScript objects: `prototype` and every
 * property of Object.prototype (`__proto__`, `constructor`, `toString`, `valueOf`, `hasOwnProperty`…).
 * class-validator's whitelist looks unknown names up in a plain object, where `constructor` is
 * inherited and so counts as known; class-transformer would assign `__proto__` as the instance's
 * prototype, and silently drops any key the instance already has as a method, so `toString` never even
 * reached the whitelist (the request was accepted without it). They are rejected here, at any depth,
 * before either library sees the value.
 */
const isReservedKey = (key: string) => key === 'prototype' || Object.prototype.hasOwnProperty.call(Object.prototype, key);

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * What class-validator cannot see in a parsed JSON body or query: reserved property names, and strings
 * that are not valid Unicode (a lone surrogate from a `\ud800` escape cannot be encoded as UTF-8: the
 * database would store U+FFFD instead, silently changing the client's data, and some libraries throw).
 */
export function unsafeJsonFields(value: unknown, path = ''): FieldError[] {
  const errors: FieldError[] = [];
  const visit = (node: unknown, field: string, depth: number): void => {
    // The body limit bounds the size; this bounds the recursion for deeply nested arrays.
    if (depth > 64) {
      errors.push({ field, message: `${field || 'body'} is nested too deeply` });
      return;
    }
    if (typeof node === 'string') {
      if (LONE_SURROGATE.test(node)) errors.push({ field, message: `${leaf(field)} must be valid Unicode text (it contains a lone UTF-16 surrogate)` });
    } else if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, join(field, String(index)), depth + 1));
    } else if (typeof node === 'object' && node !== null) {
      for (const key of Object.keys(node)) {
        const child = join(field, key);
        if (isReservedKey(key) || LONE_SURROGATE.test(key)) errors.push({ field: child, message: `property ${key} should not exist` });
        else visit((node as Record<string, unknown>)[key], child, depth + 1);
      }
    }
  };
  visit(value, path, 0);
  return errors;
}

const join = (parent: string, key: string) => (parent ? `${parent}.${key}` : key);
const leaf = (field: string) => field.slice(field.lastIndexOf('.') + 1) || 'value';
