import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsNumber, IsOptional, IsString, Max, Min, ValidateBy, ValidationArguments } from 'class-validator';
import { MaxLength } from './text-length';

/**
 * A query-string integer. Only plain decimal digits are converted (so "1e3", " 5" or "0x10" stay strings
 * and fail @IsInt with a clear message), with a range check the error names.
 */
export function QueryInt(min: number, max: number) {
  return applyDecorators(
    IsOptional(),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value)),
    IsInt({ message: '$property must be an integer' }),
    Min(min),
    Max(max),
  );
}

/**
 * A query-string decimal number ("43", "43.5", "-1"). As with QueryInt, only plain decimal notation is
 * converted: "1e3", "NaN", "Infinity" or "" stay strings and fail the type check.
 */
export function QueryNumber(min: number, max: number = Number.MAX_SAFE_INTEGER) {
  return applyDecorators(
    IsOptional(),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^-?\d{1,15}(\.\d{1,15})?$/.test(value) ? Number(value) : value)),
    IsNumber({ allowNaN: false, allowInfinity: false }, { message: '$property must be a number' }),
    Min(min),
    Max(max),
  );
}

/** A query-string value out of a closed list (an enum); the error lists the accepted values. */
export function QueryEnum(values: readonly string[]) {
  return applyDecorators(IsOptional(), IsIn(values, { message: `$property must be one of ${values.join(', ')}` }));
}

/**
 * This numeric parameter may not be below the one named `lowerBound` (when both are given and valid):
 * `max_price` under `min_price` is an empty range the client surely did not mean.
 */
export function NotLessThan(lowerBound: string) {
  return ValidateBy({
    name: 'notLessThan',
    constraints: [lowerBound],
    validator: {
      validate: (value: unknown, args?: ValidationArguments) => {
        const other = (args?.object as Record<string, unknown> | undefined)?.[lowerBound];
        return typeof value !== 'number' || typeof other !== 'number' || value >= other;
      },
      defaultMessage: () => `$property must not be less than ${lowerBound}`,
    },
  });
}

/** The opaque cursor of key pagination, as received from a `Link` header. */
export function QueryCursor() {
  return applyDecorators(IsOptional(), IsString(), MaxLength(512));
}
