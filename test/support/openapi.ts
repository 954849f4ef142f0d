import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
}

interface CompiledPath {
  template: string;
  pattern: RegExp;
}

/**
 * Checks a response against the OpenAPI document the server itself serves (/docs/openapi.json):
 * the operation must exist, the status must be documented for it, and the body must match the
 * documented schema exactly (every schema has additionalProperties: false, so an extra property
 * fails). Used by ApiClient for every response of the e2e suite.
 */
export class ResponseContract {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly paths: CompiledPath[];

  private constructor(private readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    this.ajv.addSchema(document, 'openapi.json');
    this.paths = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  static async load(baseUrl: string): Promise<ResponseContract> {
    const response = await fetch(`${baseUrl}/docs/openapi.json`);
    if (!response.ok) throw new Error(`cannot load the OpenAPI document: ${response.status}`);
    return new ResponseContract((await response.json()) as OpenApiDocument);
  }

  /** Every way the response departs from the document; empty when it conforms. */
  violations(method: string, url: string, status: number, contentType: string | null, body: unknown): string[] {
    const path = new URL(url, 'http://x').pathname;
    if (path.startsWith('/docs')) return [];
    // Literal paths win over templates (/auth/me/listings is not /auth/me/{id}).
    const match = this.paths.find((p) => p.template === path) ?? this.paths.find((p) => p.pattern.test(path));
    if (!match) return status === 404 ? [] : [`${method} ${path}: no documented path, yet the server answered ${status}`];
    const operation = this.document.paths[match.template][method.toLowerCase()];
    if (!operation) return status === 404 || status === 405 ? [] : [`${method} ${match.template}: method not documented, server answered ${status}`];
    const documented = operation.responses[String(status)];
    if (!documented) return [`${method} ${match.template}: status ${status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`];

    const schemaPointer = documented.content?.['application/json'] ? `#/paths/${pointer(match.template)}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema` : undefined;
    if (!schemaPointer) {
      const mediaTypes = Object.keys(documented.content ?? {});
      if (mediaTypes.length === 0) return body === '' || body === undefined ? [] : [`${method} ${match.template} ${status}: documented without a body, got one`];
      // A documented non-JSON body (an SVG picture): its media type must be the one served.
      const served = contentType?.split(';')[0].trim().toLowerCase();
      return served && mediaTypes.includes(served) ? [] : [`${method} ${match.template} ${status}: expected ${mediaTypes.join(' or ')}, got ${contentType ?? 'no content type'}`];
    }
    if (!contentType?.includes('application/json')) return [`${method} ${match.template} ${status}: expected JSON, got ${contentType ?? 'no content type'}`];
    const validate = this.validator(schemaPointer);
    if (validate(body)) return [];
    return (validate.errors ?? []).map((e) => `${method} ${match.template} ${status}: body${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }

  private validator(schemaPointer: string): ValidateFunction {
    let validate = this.validators.get(schemaPointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `openapi.json${schemaPointer}` });
      this.validators.set(schemaPointer, validate);
    }
    return validate;
  }
}

function pointer(template: string): string {
  return template.replaceAll('~', '~0').replaceAll('/', '~1');
}

const contracts = new Map<string, Promise<ResponseContract>>();

export function contractFor(baseUrl: string): Promise<ResponseContract> {
  let contract = contracts.get(baseUrl);
  if (!contract) {
    contract = ResponseContract.load(baseUrl);
    contracts.set(baseUrl, contract);
  }
  return contract;
}
