import { HttpException, HttpStatus } from '@nestjs/common';

/** One invalid field of a request: `field` is a dotted path into the body or query (`postal_address.city`). */
export interface FieldError {
  field: string;
  message: string;
}

/** The body of every error response: a human message, plus per-field details for validation errors. */
export interface ApiErrorBody {
  message: string;
  errors?: FieldError[];
}

/**
 * 422: well-formed input whose content breaks the rules, each broken field listed. Thrown by the
 * validation pipe, and by services for rules only they can check (a field naming something that does
 * not exist), so that every 422 has the same shape.
 */
export class ValidationFailedException extends HttpException {
  constructor(errors: FieldError[], message = 'Validation failed') {
    super({ message, errors } satisfies ApiErrorBody, HttpStatus.UNPROCESSABLE_ENTITY);
  }
}
