import { BadRequestException } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min, ValidateNested } from 'class-validator';
import { ValidationFailedException } from '../errors/api-error';
import { ApiValidationPipe } from './validation';

class PageQuery {
  @IsOptional()
  @Min(1)
  @Max(100)
  @IsInt()
  limit?: number;
}

class RequiredQuery {
  @IsString()
  q!: string;
}

class Inner {
  @IsString()
  city!: string;
}

class Body {
  @IsString()
  name!: string;

  @ValidateNested()
  @Type(() => Inner)
  address!: Inner;
}

const pipe = new ApiValidationPipe();
const failure = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error as BadRequestException | ValidationFailedException;
  }
  throw new Error('accepted');
};

describe('ApiValidationPipe', () => {
  it('returns an instance of the DTO, nested objects included', () => {
    const body = pipe.transform({ name: 'x', address: { city: 'Paris' } }, { type: 'body', metatype: Body }) as Body;
    expect(body).toBeInstanceOf(Body);
    expect(body.address).toBeInstanceOf(Inner);
  });

  it('an empty query string is an instance when the DTO allows it, and a 400 naming the field when it does not', () => {
    expect(pipe.transform({}, { type: 'query', metatype: PageQuery })).toBeInstanceOf(PageQuery);
    // Asked twice: the cached answer is the same.
    for (let i = 0; i < 2; i++) {
      const error = failure(() => pipe.transform({}, { type: 'query', metatype: RequiredQuery }));
      expect(error).toBeInstanceOf(BadRequestException);
      expect(error.getResponse()).toMatchObject({ message: 'Invalid query parameters', errors: [{ field: 'q' }] });
    }
  });

  it('unknown and reserved properties are refused at any depth, with their path', () => {
    const unknown = failure(() => pipe.transform({ name: 'x', address: { city: 'P', zip: '1' } }, { type: 'body', metatype: Body }));
    expect(unknown).toBeInstanceOf(ValidationFailedException);
    expect(JSON.stringify(unknown.getResponse())).toContain('address.zip');
    const reserved = failure(() => pipe.transform(JSON.parse('{"name":"x","address":{"city":"P","__proto__":{}}}'), { type: 'body', metatype: Body }));
    expect(JSON.stringify(reserved.getResponse())).toContain('address.__proto__');
  });

  it('nothing is coerced: a number as text is a 400 on a query, a 422 on a body', () => {
    const query = failure(() => pipe.transform({ limit: '5' }, { type: 'query', metatype: PageQuery }));
    expect(query).toBeInstanceOf(BadRequestException);
    const body = failure(() => pipe.transform({ name: 5, address: { city: 'P' } }, { type: 'body', metatype: Body }));
    expect(body).toBeInstanceOf(ValidationFailedException);
  });

  it('a body that is not a JSON object is refused; path parameters pass through untouched', () => {
    expect(failure(() => pipe.transform([1], { type: 'body', metatype: Body }))).toBeInstanceOf(ValidationFailedException);
    expect(pipe.transform('12', { type: 'param', metatype: Number })).toBe('12');
  });
});
