import { UNMATCHED_ROUTE, routeLabel } from './route-label';

describe('routeLabel', () => {
  it('writes Fastify parameters as OpenAPI braces', () => {
    expect(routeLabel('/listings/:id/prices')).toBe('/listings/{id}/prices');
    expect(routeLabel('/webhooks/:id/deliveries/:delivery_id/retry')).toBe('/webhooks/{id}/deliveries/{delivery_id}/retry');
    expect(routeLabel('/listings/:id/prices/chart.svg')).toBe('/listings/{id}/prices/chart.svg');
    expect(routeLabel('/files/:name(^\\d+).png')).toBe('/files/{name}.png');
  });

  it('keeps literal routes and wildcards as they are, and names a request no route matched without its path', () => {
    expect(routeLabel('/health/live')).toBe('/health/live');
    expect(routeLabel('/docs/*')).toBe('/docs/*');
    expect(routeLabel(undefined)).toBe(UNMATCHED_ROUTE);
  });
});
