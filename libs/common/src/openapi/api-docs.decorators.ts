import { applyDecorators } from '@nestjs/common';
import { ApiExtension, ApiParam, ApiResponse, DECORATORS } from '@nestjs/swagger';
import { ApiErrorView, ValidationErrorView } from './error-views';

/**
 * How a route is protected, recorded in the OpenAPI document by the same decorators that the guards
 * read (see @Public() and @Roles() in libs/auth), so the document cannot drift from what is enforced.
 * The document builder turns it into `security` and the 401/403 responses.
 */
export const ACCESS_EXTENSION = 'x-access';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request: invalid JSON, id, query parameter or cursor',
  401: 'Missing, invalid or expired bearer token',
  403: 'Signed in, but not allowed to do this',
  404: 'No such resource',
  409: 'Conflicts with the current state',
  410: 'Gone: what the request refers to is no longer kept',
  413: 'Request body too large',
  415: 'Request body is not JSON',
  422: 'Well-formed JSON that breaks the input rules; each broken field is listed',
  429: 'Too many attempts; retry after the number of seconds in Retry-After',
};

/** Documents error responses, each with its JSON body schema. */
export function ApiErrors(...statuses: number[]) {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        type: status === 400 || status === 422 ? ValidationErrorView : ApiErrorView,
        ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
      }),
    ),
  );
}

export const ApiAccess = (access: 'public' | 'admin') => ApiExtension(ACCESS_EXTENSION, access);

/**
 * What an API key may do on a route (see @RequiresScope(), @AnyApiKey(), @NoApiKeys()), recorded like
 * ACCESS_EXTENSION: the document builder turns it into the security schemes and the route's description.
 */
export const API_KEY_EXTENSION = 'x-api-key-access';

export const ApiKeyAccessDoc = (access: string) => ApiExtension(API_KEY_EXTENSION, access);

/** The `{id}` path parameter: a non-negative 32-bit integer (see ParseIdPipe). */
export const ApiIdParam = (description = 'The listing id.') =>
  ApiParam({ name: 'id', required: true, description, schema: { type: 'integer', minimum: 0, maximum: 2_147_483_647 } });

/** A documented response header (OpenAPI header object). */
export interface ApiHeaderObject {
  description: string;
  schema: { type: 'string' | 'integer'; enum?: string[] };
}

/**
 * Adds headers to the documented response `status` of a route, whatever the order of the decorators:
 * `@ApiResponse()` merges a response shallowly (its `headers` replace those declared before, and a
 * headers-only one would drop the response's type), so route decorators that contribute headers to a
 * response another decorator describes (@Paginated(), @ConditionalGet()) go through this instead.
 */
export function ApiResponseHeaders(status: number, headers: Record<string, ApiHeaderObject>): MethodDecorator {
  return (_target, _key, descriptor) => {
    const method = descriptor.value as object;
    const responses = (Reflect.getMetadata(DECORATORS.API_RESPONSE, method) ?? {}) as Record<string, { headers?: object; description?: string }>;
    const declared = responses[status];
    // A response not described yet gets its headers first, where `@ApiResponse({ headers })` puts them.
    const response = declared ? { ...declared, headers: { ...declared.headers, ...headers } } : { headers, description: '' };
    Reflect.defineMetadata(DECORATORS.API_RESPONSE, { ...responses, [status]: response }, method);
  };
}
