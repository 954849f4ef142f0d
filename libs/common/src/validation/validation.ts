import { ArgumentMetadata, BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiErrorBody, FieldError, ValidationFailedException } from '../errors/api-error';
import { unsafeJsonFields } from './strict-json';

/** Flattens class-validator's tree into one entry per broken rule, named by the field's dotted path. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every body and query goes through this pipe: unknown properties are rejected (the contract's
 * `additionalProperties: false`), including `constructor`, `__proto__` and `prototype` at any depth,
 * strings must be valid Unicode, and nothing is coerced from one JSON type to another. A bad body is a
 * 422 listing each field; a bad query string is a 400 (the request itself is malformed) with the same
 * shape.
 */
export class ApiValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      // One message per field: the first rule it breaks (type before range), not every rule at once.
      stopAtFirstError: true,
      exceptionFactory: (errors) => new ValidationFailedException(flattenValidationErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Path parameters have their own pipes (ParseIdPipe); converting them here would turn "abc" into NaN.
    if (metadata.type !== 'body' && metadata.type !== 'query') return value;
    const validatesAClass = typeof metadata.metatype === 'function' && !this.isPrimitiveOrBuiltIn(metadata.metatype);
    if (metadata.type === 'body' && validatesAClass && !isJsonObject(value)) {
      throw new ValidationFailedException([{ field: '', message: 'request body must be a JSON object' }]);
    }
    try {
      const unsafe = unsafeJsonFields(value);
      if (unsafe.length > 0) throw new ValidationFailedException(unsafe);
      return await super.transform(value, metadata);
    } catch (error) {
      if (error instanceof ValidationFailedException && metadata.type === 'query') {
        const { errors } = error.getResponse() as ApiErrorBody;
        throw new BadRequestException({ message: 'Invalid query parameters', errors } satisfies ApiErrorBody);
      }
      throw error;
    }
  }

  private isPrimitiveOrBuiltIn(metatype: unknown): boolean {
    return [String, Boolean, Number, Array, Object].includes(metatype as never);
  }
}
