import { Get } from '@nestjs/common';
import { PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { DECORATORS } from '@nestjs/swagger';
import { ApiResponseHeaders } from '../openapi/api-docs.decorators';
import { type HttpArgumentsHost, MapResult } from './handler-result';

describe('@MapResult()', () => {
  const http = { getRequest: () => ({ url: '/x' }), getResponse: () => ({}) } as unknown as HttpArgumentsHost;

  class Routes {
    @MapResult(1, (value, host) => `${String(value)}, then 1 for ${host.getRequest<{ url: string }>().url}`)
    @MapResult(2, (value) => `${String(value)}, then 2`)
    @Get('twice')
    @ApiResponseHeaders(200, { ETag: { description: 'tag', schema: { type: 'string' } } })
    twice(name: string, count: number): string {
      return `${name} ${count}`;
    }
  }

  it('runs the steps in their order, whatever the order of the decorators, with the request of the call', async () => {
    const handler = Routes.prototype.twice as unknown as (name: string, count: number, http: HttpArgumentsHost) => Promise<string>;
    await expect(handler.call(new Routes(), 'a', 3, http)).resolves.toBe('a 3, then 1 for /x, then 2');
  });

  it('keeps the metadata of the decorators applied before it, and asks Nest for the request after the handler\'s own parameters', () => {
    expect(Reflect.getMetadata(PATH_METADATA, Routes.prototype.twice)).toBe('twice');
    expect(Reflect.getMetadata(DECORATORS.API_RESPONSE, Routes.prototype.twice)).toEqual({ 200: { headers: { ETag: { description: 'tag', schema: { type: 'string' } } }, description: '' } });
    const params = Reflect.getMetadata(ROUTE_ARGS_METADATA, Routes, 'twice') as Record<string, { index: number }>;
    expect(Object.values(params).map((p) => p.index)).toEqual([2]);
    expect(Routes.prototype.twice.name).toBe('twice');
  });
});
