import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'FieldError', description: 'One broken rule of one field; `field` is a dotted path (`postal_address.city`).' })
export class FieldErrorView {
  @ApiProperty({ example: 'postal_address.country' })
  field!: string;
  @ApiProperty({ example: 'country must be an ISO 3166-1 alpha-2 code in upper case, like FR' })
  message!: string;
}

/** The contract's APIError. */
@ApiSchema({ name: 'APIError', description: 'Every error response carries a human-readable message.' })
export class ApiErrorView {
  @ApiProperty({ example: 'Listing 42 not found' })
  message!: string;
}

@ApiSchema({ name: 'ValidationError', description: 'A request that breaks input rules: the message, and one entry per broken field.' })
export class ValidationErrorView {
  @ApiProperty({ example: 'Validation failed' })
  message!: string;
  @ApiPropertyOptional({ type: () => [FieldErrorView] })
  errors?: FieldErrorView[];
}
