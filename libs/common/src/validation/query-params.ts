import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

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

/** The opaque cursor of key pagination, as received from a `Link` header. */
export function QueryCursor() {
  return applyDecorators(IsOptional(), IsString(), MaxLength(512));
}
