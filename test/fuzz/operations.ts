/**
 * The operations of the OpenAPI document the service serves, with every `$ref` resolved: what the
 * fuzzer generates requests from. Nothing here knows the API: a new path in the document is a new
 * operation to fuzz.
 */

export interface Schema {
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  /** OpenAPI 3.0: null is a valid value too. */
  nullable?: boolean;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
  description?: string;
  allOf?: Schema[];
  $ref?: string;
  /** The component name a `$ref` pointed at, kept for messages. */
  'x-component'?: string;
}

export interface ParameterSpec {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
  description?: string;
}

export interface OperationSpec {
  id: string;
  method: string;
  /** The path template, `/listings/{id}`. */
  path: string;
  tags: string[];
  parameters: ParameterSpec[];
  body?: { required: boolean; schema: Schema };
  /** Needs a bearer token (its `security` names one). */
  secured: boolean;
  /** Documented status codes. */
  statuses: number[];
  /** The JSON schema of each documented status that has one. */
  responseSchemas: Map<number, Schema>;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, Schema> };
  security?: Record<string, string[]>[];
}

interface RawOperation {
  operationId?: string;
  tags?: string[];
  parameters?: (ParameterSpec & { $ref?: string })[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  security?: Record<string, string[]>[];
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

export function operationsOf(document: OpenApiDocument): OperationSpec[] {
  const operations: OperationSpec[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const security = raw.security ?? document.security ?? [];
      const json = raw.requestBody?.content?.['application/json']?.schema;
      const responseSchemas = new Map<number, Schema>();
      for (const [status, response] of Object.entries(raw.responses)) {
        const schema = response.content?.['application/json']?.schema;
        if (schema) responseSchemas.set(Number(status), resolveSchema(document, schema));
      }
      operations.push({
        id: raw.operationId ?? `${method} ${path}`,
        method: method.toUpperCase(),
        path,
        tags: raw.tags ?? [],
        parameters: (raw.parameters ?? []).map((p) => ({ ...p, required: p.required === true, schema: resolveSchema(document, p.schema ?? {}) })),
        body: json ? { required: raw.requestBody?.required === true, schema: resolveSchema(document, json) } : undefined,
        secured: security.some((requirement) => Object.keys(requirement).length > 0),
        statuses: Object.keys(raw.responses).map(Number).sort((a, b) => a - b),
        responseSchemas,
      });
    }
  }
  return operations.sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`));
}

/** The schema with every `$ref` replaced by its target and single-element `allOf`s merged in. */
export function resolveSchema(document: OpenApiDocument, schema: Schema, seen: string[] = []): Schema {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    if (seen.includes(name)) throw new Error(`recursive schema ${[...seen, name].join(' -> ')}: not supported by the fuzzer`);
    const target = document.components?.schemas?.[name];
    if (!target) throw new Error(`unresolved $ref ${schema.$ref}`);
    return { ...resolveSchema(document, target, [...seen, name]), 'x-component': name };
  }
  let resolved: Schema = { ...schema };
  if (schema.allOf) {
    delete resolved.allOf;
    for (const part of schema.allOf) resolved = { ...resolveSchema(document, part, seen), ...resolved };
  }
  if (schema.properties) {
    resolved.properties = Object.fromEntries(Object.entries(schema.properties).map(([key, value]) => [key, resolveSchema(document, value, seen)]));
  }
  if (schema.items) resolved.items = resolveSchema(document, schema.items, seen);
  if (typeof schema.additionalProperties === 'object') resolved.additionalProperties = resolveSchema(document, schema.additionalProperties, seen);
  return resolved;
}

/**
 * What a path parameter names: the collection before it (`/listings/{id}` → `listings`,
 * `/admin/users/{id}` → `users`). The fuzzer fills it with ids of that collection.
 */
export function resourceOf(operation: OperationSpec, parameter: string): string | undefined {
  const segments = operation.path.split('/');
  const at = segments.indexOf(`{${parameter}}`);
  return at > 0 ? segments[at - 1] : undefined;
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}
