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

/** 422: well-formed JSON whose content breaks the rules. */
export class ValidationFailedException extends HttpException {
  constructor(errors: FieldError[]) {
    super({ message: 'Validation failed', errors } satisfies ApiErrorBody, HttpStatus.UNPROCESSABLE_ENTITY);
  }
}
