import { HttpException, Logger, NotFoundException } from '@nestjs/common';
import { ValidationFailedException } from './api-error';
import { toErrorResponse } from './api-exception.filter';

describe('toErrorResponse', () => {
  const logger = { error: jest.fn() } as unknown as Logger;

  it('keeps the status and message of HTTP exceptions, without Nest extras', () => {
    expect(toErrorResponse(new NotFoundException('Listing 7 not found'), logger)).toEqual({ status: 404, body: { message: 'Listing 7 not found' } });
  });

  it('keeps per-field errors of validation failures', () => {
    const errors = [{ field: 'name', message: 'name must be a string' }];
    expect(toErrorResponse(new ValidationFailedException(errors), logger)).toEqual({ status: 422, body: { message: 'Validation failed', errors } });
  });

  it('rewords Fastify body errors for clients', () => {
    const wrapped = new HttpException('raw', 400, { cause: { code: 'FST_ERR_CTP_INVALID_JSON_BODY' } });
    expect(toErrorResponse(wrapped, logger)).toEqual({ status: 400, body: { message: 'Malformed JSON in request body' } });
  });

  it.each([
    ['P2002', 409],
    ['P2003', 409],
    ['P2025', 404],
    ['P2028', 503],
  ])('maps Prisma %s to %i', (code, status) => {
    expect(toErrorResponse(Object.assign(new Error('prisma'), { code }), logger).status).toBe(status);
  });

  it('hides unknown errors behind a 500 and logs them', () => {
    const result = toErrorResponse(new Error('password=hunter2 at db'), logger);
    expect(result).toEqual({ status: 500, body: { message: 'Internal server error' } });
    expect(logger.error).toHaveBeenCalledWith(expect.stringContaining('hunter2'));
  });
});
