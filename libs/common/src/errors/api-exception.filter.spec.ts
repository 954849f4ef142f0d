import { HttpException, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ValidationFailedException } from './api-error';
import { ApiExceptionFilter, toErrorResponse } from './api-exception.filter';

const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { errno: -111, code, syscall: 'connect', address: '127.0.0.1', port: 5432 });
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });

describe('toErrorResponse', () => {
  const logger = { error: jest.fn() } as unknown as Logger;

  it('keeps the status and message of HTTP exceptions, without Nest extras', () => {
    expect(toErrorResponse(new NotFoundException('Listing 7 not found'), logger)).toEqual({ status: 404, body: { message: 'Listing 7 not found' } });
  });

  it('keeps per-field errors of validation failures', () => {
    const errors = [{ field: 'name', message: 'name must be a string' }];
    expect(toErrorResponse(new ValidationFailedException(errors), logger)).toEqual({ status: 422, body: { message: 'Validation failed', errors } });
  });

  it('tells when to come back on every 503, not only on database failures', () => {
    expect(toErrorResponse(new ServiceUnavailableException('Webhook deliveries are starting: retry shortly'), logger)).toEqual({
      status: 503,
      body: { message: 'Webhook deliveries are starting: retry shortly' },
      retryAfter: 5,
    });
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

describe('database failures over HTTP', () => {
  const logger = { error: jest.fn(), warn: jest.fn() } as unknown as Logger;

  it('are a 503 with Retry-After and a message, not a 500, and are not logged per request', () => {
    expect(toErrorResponse(socketError('ECONNREFUSED'), logger)).toEqual({
      status: 503,
      body: { message: 'The database is unavailable: retry shortly' },
      retryAfter: expect.any(Number),
      databaseUnavailable: 'connection failed (ECONNREFUSED)',
    });
    expect(logger.error).not.toHaveBeenCalled();
  });

  it('are reported to the outage reporter, which logs the outage once', () => {
    const reporter = { failed: jest.fn() };
    const reply = { status: jest.fn(), header: jest.fn(), send: jest.fn() };
    for (const method of ['status', 'header'] as const) reply[method].mockReturnValue(reply);
    const host = { switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ id: 'request-1' }) }) };
    new ApiExceptionFilter(reporter).catch(pgError('57P01', 'terminating connection due to administrator command'), host as never);
    expect(reporter.failed).toHaveBeenCalledWith('server shutting down (57P01)');
    expect(reply.status).toHaveBeenCalledWith(503);
    expect(reply.header).toHaveBeenCalledWith('retry-after', expect.stringMatching(/^\d+$/));
  });
});
