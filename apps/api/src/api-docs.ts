import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ACCESS_EXTENSION, API_KEY_EXTENSION, ApiErrorView, AppConfig, ValidationErrorView } from '@app/common';

type Operation = NonNullable<OpenAPIObject['paths'][string]['get']>;
type Schema = { type?: string; properties?: Record<string, unknown>; additionalProperties?: unknown };

const DESCRIPTION = `Real-estate listings and the history of their prices.

**Reads are public.** Creating, changing and deleting listings needs a bearer token:

1. \`POST /auth/register\` with \`{"email", "password"}\` (8 to 256 characters), once;
2. \`POST /auth/login\` with the same body: the response has an \`access_token\` (valid 15 minutes) and a \`refresh_token\`;
3. click **Authorize** above, paste the \`access_token\`, and every "Try it out" sends it as \`Authorization: Bearer …\`.

When the access token expires, \`POST /auth/refresh\` trades the refresh token for a new pair.
Lists are paginated by key: follow the \`Link: <…>; rel="next"\` header of each page.

**Programs use API keys**: \`POST /auth/api-keys\` (with an access token) returns a \`lak_…\` key, sent as
\`Authorization: Bearer lak_…\` (the **apiKey** scheme under Authorize). A key acts as its owner with at most its
scopes; each route's description says which scope it needs, and routes without one refuse keys.`;

const ERROR_REFS = {
  api: { $ref: '#/components/schemas/APIError' },
  validation: { $ref: '#/components/schemas/ValidationError' },
};

function addResponse(operation: Operation, status: number, description: string, schema: object): void {
  operation.responses[String(status)] ??= { description, content: { 'application/json': { schema } } };
}

/** What an API key may do on an operation, in words, from its x-api-key-access (see @RequiresScope()). */
function apiKeyNote(access: unknown): string {
  if (access === 'never') return '**API keys**: never accepted here (403).';
  if (access === 'any') return '**API keys**: any key.';
  if (typeof access === 'string') return `**API keys**: need the \`${access}\` scope.`;
  return '**API keys**: not accepted (403).';
}

/**
 * Completes what the decorators declare with what holds for every route alike, so no route can
 * forget it: security from @Public()/@Roles()/@RequiresScope() (the same metadata the guards read), 401/403 for
 * protected routes, 429 where API keys are accepted, 400/413/415/422 for JSON bodies, 400 for path and query parameters, 503 with
 * Retry-After everywhere, and `additionalProperties: false` on every schema (the validation pipe
 * rejects unknown properties and responses have none).
 */
export function completeDocument(document: OpenAPIObject): OpenAPIObject {
  for (const pathItem of Object.values(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation = pathItem[method];
      if (!operation) continue;
      const extensions = operation as unknown as Record<string, unknown>;
      const access = extensions[ACCESS_EXTENSION] ?? 'authenticated';
      const keyAccess = extensions[API_KEY_EXTENSION];
      delete extensions[ACCESS_EXTENSION];
      delete extensions[API_KEY_EXTENSION];
      // A key is looked up only on routes that need a caller; on public ones it is ignored, except where keys are never allowed.
      const takesKeys = access !== 'public' && keyAccess !== undefined && keyAccess !== 'never';
      operation.security = access === 'public' ? [] : takesKeys ? [{ bearer: [] }, { apiKey: [] }] : [{ bearer: [] }];
      if (access !== 'public' || keyAccess === 'never') operation.description = [operation.description, apiKeyNote(keyAccess)].filter(Boolean).join('\n\n');
      if (access !== 'public') addResponse(operation, 401, 'Missing, invalid or expired bearer token or API key', ERROR_REFS.api);
      if (access === 'admin') addResponse(operation, 403, 'Reserved to administrators (an API key also needs the admin scope)', ERROR_REFS.api);
      // Any route that needs a caller can refuse a key: a scope it lacks, or a route closed to keys. Public routes only where keys are never allowed.
      if (access !== 'public' || keyAccess === 'never') addResponse(operation, 403, 'Not allowed: an API key without the scope this route needs, or on a route that refuses keys', ERROR_REFS.api);
      if (takesKeys) {
        operation.responses['429'] ??= {
          description: 'Too many requests with this API key (API_KEY_RATE_LIMIT_PER_MINUTE): retry after Retry-After seconds',
          headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
          content: { 'application/json': { schema: ERROR_REFS.api } },
        };
      }
      if (operation.requestBody) {
        addResponse(operation, 400, 'Malformed JSON body', ERROR_REFS.validation);
        addResponse(operation, 413, 'Request body too large', ERROR_REFS.api);
        addResponse(operation, 415, 'Request body is not JSON', ERROR_REFS.api);
        addResponse(operation, 422, 'Well-formed JSON that breaks the input rules; each broken field is listed', ERROR_REFS.validation);
      }
      if ((operation.parameters ?? []).length > 0) addResponse(operation, 400, 'Invalid path or query parameter', ERROR_REFS.validation);
      // Any route: the database is unreachable or too slow (within DATABASE_*_TIMEOUT_MS), or the
      // request arrived on an open connection while the service was shutting down (or, for a webhook ping or
      // retry, the delivery queue is not created yet: the first seconds of a fresh database).
      operation.responses['503'] ??= {
        description: 'Unavailable for now (database unreachable or too slow, the service shutting down, or, on a webhook ping or retry, deliveries still starting): retry after Retry-After seconds',
        headers: { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } } },
        content: { 'application/json': { schema: ERROR_REFS.api } },
      };
    }
  }
  for (const schema of Object.values(document.components?.schemas ?? {}) as Schema[]) {
    if (schema.type === 'object' || schema.properties) schema.additionalProperties ??= false;
  }
  return document;
}

/**
 * The served document. GET /metrics is in it only when METRICS_TOKEN is set: otherwise the route answers 404 like
 * any unknown path, and a document listing it would promise an operation that does not exist.
 */
export function buildDocument(app: INestApplication, options: { metricsEnabled: boolean }): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Listing API')
    .setDescription(DESCRIPTION)
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'The access_token from POST /auth/login' }, 'bearer')
    // The same header with a key: a second scheme so that Swagger UI can authorize with either.
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'lak_…', description: 'An API key from POST /auth/api-keys (`lak_…`): acts as its owner with at most its scopes' }, 'apiKey')
    .addTag('listings', 'Listings: public reads, owner or admin writes')
    .addTag('prices', 'The price history of a listing')
    .addTag('auth', 'Accounts, sign-in and tokens')
    .addTag('admin', 'Administration: users and listing ownership (admins only)')
    .addTag('health', 'Liveness and readiness probes for orchestrators and load balancers')
    .build();
  const document = SwaggerModule.createDocument(app, config, { extraModels: [ApiErrorView, ValidationErrorView] });
  if (!options.metricsEnabled) delete document.paths['/metrics'];
  return completeDocument(document);
}

/**
 * Swagger UI at /docs, the document at /docs/openapi.json and /docs/openapi.yaml. Off in production
 * unless SWAGGER_ENABLED=true.
 */
export function setupApiDocs(app: INestApplication, config: AppConfig): void {
  if (!config.swaggerEnabled) return;
  SwaggerModule.setup('docs', app, () => buildDocument(app, { metricsEnabled: config.metricsToken !== undefined }), {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    customSiteTitle: 'Listing API',
    swaggerOptions: { persistAuthorization: true, displayOperationId: true, tryItOutEnabled: false },
  });
}
