/** The `route` label of requests that matched no route (404s): never their path, which the client chooses. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * A Fastify route pattern as the `route` label: OpenAPI's braces (`/listings/:id/prices` → `/listings/{id}/prices`),
 * so that a dashboard's routes read like the API documentation. A parameter's regular expression, if a route ever
 * has one (`:id(^\d+)`), is dropped. Undefined (no route matched) is UNMATCHED_ROUTE.
 */
export function routeLabel(pattern: string | undefined): string {
  if (pattern === undefined) return UNMATCHED_ROUTE;
  return pattern.replace(/:([A-Za-z0-9_$]+)(\([^)]*\))?/g, '{$1}');
}
