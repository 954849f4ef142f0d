import { createHash } from 'node:crypto';
import http from 'node:http';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { contractFor } from '../support/openapi';
import type { TestApp } from '../support/test-app';
import { type FuzzCase, caseArbitrary } from './cases';
import { type ConcreteRequest, toCurl } from './curl';
import { type OpenApiDocument, type OperationSpec, type Schema, isSuccess, operationsOf } from './operations';
import { type Expectation, expectationFor } from './oracle';
import { type Resolved, resolveCase, typedQueryValue } from './resolve';
import { isRfc3339DateTime } from './values';
import { FuzzWorld } from './world';

/**
 * The schema-driven fuzzer: requests generated from the OpenAPI document the service serves (see
 * cases.ts), sent over HTTP as anonymous, an owner, another user and an admin, and every answer checked:
 * - never a 5xx;
 * - the status is documented for the operation, and the body matches its documented schema;
 * - an invalid request (one constraint broken) is a 4xx and changes nothing in the database;
 * - a valid request gets the status the oracle expects (success, or a documented refusal), a refusal
 *   changes nothing, a read changes nothing, and a successful write answers what it was sent and what a
 *   read of the resource answers next.
 * A failure shrinks (fast-check) and is reported with a curl command that repeats the request.
 */
export interface FuzzOptions {
  runs: number;
  seed: number;
  /** fast-check's replay path, printed with a failure. */
  path?: string;
  log?: (line: string) => void;
}

export interface FuzzReport {
  runs: number;
  seed: number;
  durationMs: number;
  epochs: number;
  byKind: Record<string, number>;
  byStatus: Record<string, number>;
  byOperation: Record<string, Record<string, number>>;
  requests: number;
}

/** The same field definition, description and example aside. */
function sameField(a: Schema | undefined, b: Schema | undefined): boolean {
  const strip = (schema: Schema | undefined) => JSON.stringify(schema ?? null, (key, value: unknown) => (key === 'description' || key === 'example' ? undefined : value));
  return a !== undefined && b !== undefined && strip(a) === strip(b);
}

const SHRINK_BUDGET_MS = 90_000;
const SHRINK_BUDGET_STEPS = 2_000;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  body: unknown;
}

export class Fuzzer {
  private readonly ajv = new Ajv({ strict: false, allErrors: false });
  private readonly validators = new Map<Schema, ValidateFunction>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  private readonly stats = { byKind: new Map<string, number>(), byStatus: new Map<string, number>(), byOperation: new Map<string, Map<string, number>>(), requests: 0 };

  private constructor(
    private readonly baseUrl: string,
    readonly operations: OperationSpec[],
    private readonly world: FuzzWorld,
  ) {
    addFormats(this.ajv);
    // RFC 3339 as written: ajv-formats' date-time also takes a space for the T and offsets without a colon.
    this.ajv.addFormat('date-time', { type: 'string', validate: isRfc3339DateTime });
  }

  static async create(testApp: TestApp, databaseUrl: string): Promise<Fuzzer> {
    const response = await fetch(`${testApp.baseUrl}/docs/openapi.json`);
    if (!response.ok) throw new Error(`cannot read the OpenAPI document: ${response.status}`);
    // The webhook routes are left out: a valid subscription makes the service connect to the URL it names, and
    // the fuzzer would generate URLs of any host (a test may only send traffic to loopback). They have their own
    // tests, refusals and bad bodies included (test/webhooks.e2e-spec.ts).
    const operations = operationsOf((await response.json()) as OpenApiDocument).filter((operation) => !operation.path.startsWith('/webhooks'));
    return new Fuzzer(testApp.baseUrl, operations, await FuzzWorld.create(testApp, databaseUrl));
  }

  async close(): Promise<void> {
    this.agent.destroy();
    await this.world.close();
  }

  async run(options: FuzzOptions): Promise<FuzzReport> {
    const started = Date.now();
    let done = 0;
    let firstFailure: number | undefined;
    let shrinkSteps = 0;
    const property = fc.asyncProperty(caseArbitrary(this.operations), async (c) => {
      // Shrinking replays requests against the live service, one by one; past its budget it stops
      // trying (every further candidate "passes") and the smallest failure found so far is reported.
      if (firstFailure !== undefined && (Date.now() - firstFailure > SHRINK_BUDGET_MS || ++shrinkSteps > SHRINK_BUDGET_STEPS)) return;
      try {
        await this.check(c);
      } catch (error) {
        if (firstFailure === undefined) {
          firstFailure = Date.now();
          options.log?.(`fuzz: case ${done + 1} failed, shrinking (at most ${SHRINK_BUDGET_MS / 1000} s):\n${(error as Error).message}`);
        }
        throw error;
      }
      done += 1;
      if (options.log && done % 1000 === 0) options.log(`fuzz: ${done} cases, ${Math.round((Date.now() - started) / 1000)} s`);
    });
    await fc.assert(property, {
      numRuns: options.runs,
      seed: options.seed,
      ...(options.path ? { path: options.path } : {}),
    });
    const byOperation: Record<string, Record<string, number>> = {};
    for (const [operation, counts] of this.stats.byOperation) byOperation[operation] = Object.fromEntries([...counts].sort());
    return {
      runs: options.runs,
      seed: options.seed,
      durationMs: Date.now() - started,
      epochs: this.world.epochCount,
      byKind: Object.fromEntries(this.stats.byKind),
      byStatus: Object.fromEntries([...this.stats.byStatus].sort()),
      byOperation,
      requests: this.stats.requests,
    };
  }

  /** One case: resolve, send, judge, keep the world in step. Throws what went wrong, with a curl command. */
  async check(c: FuzzCase): Promise<void> {
    await this.world.beforeCase();
    const operation = this.operations.find((o) => o.id === c.operation)!;
    const resolved = await resolveCase(c, operation, this.world);
    this.selfCheck(c, operation, resolved);
    const expectation = await expectationFor(c, operation, resolved, this.world);
    const before = await this.world.fingerprint(resolved.email);
    const answer = await this.send(resolved.request);
    this.count(c, operation, answer.status);

    const failures: string[] = [];
    if (answer.status >= 500) failures.push(`server error ${answer.status}`);
    const contract = await contractFor(this.baseUrl);
    failures.push(...contract.violations(operation.method, resolved.request.target, answer.status, String(answer.headers['content-type'] ?? '') || null, answer.body));
    if (expectation && c.kind !== 'odd' && !expectation.statuses.includes(answer.status)) failures.push(`expected ${expectation.statuses.join(' or ')} (${expectation.why}), got ${answer.status}`);
    const refused = answer.status >= 400 && answer.status < 500;
    if ((refused || operation.method === 'GET') && !expectation?.mayChange) {
      const after = await this.world.fingerprint(resolved.email);
      if (after !== before) failures.push(refused ? `refused with ${answer.status}, yet the database changed` : 'a read changed the database');
    }
    if (c.kind === 'valid' && isSuccess(answer.status) && answer.status === expectation?.statuses.find(isSuccess)) {
      failures.push(...(await this.checkWrite(operation, resolved, answer)));
    }
    this.harvestCursor(operation, resolved, answer);
    await this.applyEffects(c, operation, resolved, answer);
    if (failures.length > 0) throw new Error(this.describe(c, operation, resolved, answer, failures, expectation));
  }

  /** The generators' own promise: valid values satisfy the document, broken ones break it. A failure here is a fuzzer bug. */
  private selfCheck(c: FuzzCase, operation: OperationSpec, resolved: Resolved): void {
    const problems: string[] = [];
    const check = (schema: Schema, value: unknown) => this.validator(schema)(value);
    if (c.kind === 'valid') {
      if (operation.body && resolved.body !== undefined && !check(operation.body.schema, resolved.body)) problems.push(`body ${this.ajv.errorsText(this.validator(operation.body.schema).errors)}`);
      for (const [name, value] of resolved.query) {
        const parameter = operation.parameters.find((p) => p.in === 'query' && p.name === name);
        if (parameter && !check(parameter.schema, typedQueryValue(value, parameter.schema.type))) problems.push(`query ${name}=${JSON.stringify(value)}`);
      }
    } else if (c.kind === 'invalid' && !c.why.includes('(documented rule)')) {
      if (c.why.startsWith('body: ') && operation.body && check(operation.body.schema, resolved.body)) problems.push(`the broken body is valid (${c.why})`);
      const query = /^query (\w+): /.exec(c.why)?.[1];
      const parameter = operation.parameters.find((p) => p.in === 'query' && p.name === query);
      const value = resolved.query.find(([name]) => name === query)?.[1];
      if (parameter && value !== undefined && check(parameter.schema, typedQueryValue(value, parameter.schema.type)) && !/not (an integer|a number)/.test(c.why)) {
        problems.push(`the broken query value is valid (${c.why}: ${JSON.stringify(value)})`);
      }
    }
    if (problems.length > 0) throw new Error(`fuzzer bug, ${c.kind} case for ${operation.id}: ${problems.join('; ')}`);
  }

  private validator(schema: Schema): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.validators.set(schema, validate);
    }
    return validate;
  }

  private send(request: ConcreteRequest): Promise<Answer> {
    this.stats.requests += 1;
    const url = new URL(this.baseUrl);
    const body = request.body === undefined ? undefined : Buffer.from(request.body, 'utf8');
    const headers: Record<string, string | number> = { ...request.headers };
    if (body) headers['content-length'] = body.length;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, method: request.method, path: request.target, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          if (text && String(res.headers['content-type'] ?? '').includes('json')) {
            try {
              parsed = JSON.parse(text);
            } catch {
              parsed = `not JSON: ${text}`;
            }
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parsed });
        });
        res.on('error', reject);
      });
      req.setTimeout(60_000, () => req.destroy(new Error('no answer within 60 s')));
      req.on('error', reject);
      req.end(body);
    });
  }

  /**
   * A successful write answers what it was sent (every property the request and the response share),
   * and a read of the resource right after answers the same thing.
   */
  private async checkWrite(operation: OperationSpec, resolved: Resolved, answer: Answer): Promise<string[]> {
    const problems: string[] = [];
    const requestSchema = operation.body?.schema;
    const responseSchema = operation.responseSchemas.get(answer.status);
    const sent = resolved.body as Record<string, unknown> | undefined;
    const got = answer.body as Record<string, unknown>;
    if (requestSchema?.properties && responseSchema?.properties && sent && typeof sent === 'object') {
      // Only where the response has the very same fields (a Listing is its ListingWrite plus more),
      // not fields that share a name and mean something else (a refresh token sent and a new one answered).
      const echoed = Object.entries(requestSchema.properties).every(([key, schema]) => sameField(schema, responseSchema.properties![key]));
      if (echoed) {
        for (const key of Object.keys(sent)) {
          if (JSON.stringify(sent[key]) !== JSON.stringify(got[key])) problems.push(`sent ${key} ${JSON.stringify(sent[key])}, answered ${JSON.stringify(got[key])}`);
        }
      }
    }
    if (operation.method !== 'GET' && responseSchema?.['x-component'] && got && typeof got.id === 'number') {
      const itemPath = operation.path.endsWith('}') ? operation.path : `${operation.path}/{id}`;
      const read = this.operations.find((o) => o.method === 'GET' && o.path === itemPath && o.responseSchemas.get(200)?.['x-component'] === responseSchema['x-component']);
      if (read) {
        const target = itemPath.replace(/\{[^}]+\}/, String(got.id));
        const again = await this.send({ method: 'GET', target, headers: {} });
        if (again.text !== answer.text) problems.push(`GET ${target} then answered ${again.text.slice(0, 300)}`);
      }
    }
    return problems;
  }

  private harvestCursor(operation: OperationSpec, resolved: Resolved, answer: Answer): void {
    const link = answer.headers.link;
    const next = typeof link === 'string' ? /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] : undefined;
    if (!next) return;
    const url = new URL(next, this.baseUrl);
    // `after` is the change feed's cursor.
    const cursor = url.searchParams.get('cursor') ?? url.searchParams.get('after');
    const sort = resolved.query.find(([name]) => name === 'sort')?.[1];
    if (cursor) this.world.rememberCursor(operation.id, typeof sort === 'string' ? sort : '', cursor);
  }

  /** Keeps the world in step with what the service did (from the answer, not from the expectation). */
  private async applyEffects(c: FuzzCase, operation: OperationSpec, resolved: Resolved, answer: Answer): Promise<void> {
    const body = (resolved.body ?? {}) as Record<string, unknown>;
    const got = answer.body as Record<string, unknown>;
    const world = this.world;
    const targetId = Number(resolved.targets.id?.id);
    switch (`${operation.id} ${answer.status}`) {
      case 'post-listings 201': {
        // The owner as stored (an odd request may authenticate otherwise than its actor would).
        const { rows } = await world.db.query<{ owner_id: number }>('SELECT owner_id FROM listing WHERE id = $1', [got.id]);
        world.listings.set(got.id as number, { ownerId: rows[0].owner_id, createdDate: got.created_date as string });
        break;
      }
      case 'delete-listing 204':
        world.listings.delete(targetId);
        world.gone.push(targetId);
        break;
      case 'admin-transfer-listing 200': {
        const known = world.listings.get(targetId);
        if (known) known.ownerId = body.owner_id as number;
        break;
      }
      case 'register 201':
        if (typeof body.password === 'string') world.registered.set(got.email as string, { id: got.id as number, password: body.password });
        break;
      case 'login 200': {
        const account = resolved.email === undefined ? undefined : await world.accountByEmail(resolved.email);
        if (account) world.issued(got.refresh_token as string, account.id);
        break;
      }
      case 'refresh 200':
        world.issued(got.refresh_token as string, world.refreshTokens.get(resolved.refreshToken!)?.userId ?? 0, world.familyOf(resolved.refreshToken!));
        break;
      case 'change-password 204':
        // The account of the token sent, which an odd case may send whatever its actor (a `bearer` scheme in
        // lower case is still the owner's token on an "anonymous" case).
        await world.signInAgain(world.actorOfAuthorization(resolved.request.headers.authorization) ?? c.actor, body.new_password as string);
        break;
      case 'logout-all 204': {
        // Every token of that account is spent: sign it in again with the password it still has.
        const actor = world.actorOfAuthorization(resolved.request.headers.authorization) ?? c.actor;
        const password = world.account(actor)?.password;
        if (password) await world.signInAgain(actor, password);
        break;
      }
      case 'admin-update-user 200':
        await world.restoreActor(targetId);
        break;
    }
  }

  private count(c: FuzzCase, operation: OperationSpec, status: number): void {
    const add = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    add(this.stats.byKind, c.kind);
    add(this.stats.byStatus, String(status));
    const perOperation = this.stats.byOperation.get(`${operation.method} ${operation.path}`) ?? new Map<string, number>();
    add(perOperation, String(status));
    this.stats.byOperation.set(`${operation.method} ${operation.path}`, perOperation);
  }

  private describe(c: FuzzCase, operation: OperationSpec, resolved: Resolved, answer: Answer, failures: string[], expectation: Expectation | undefined): string {
    const who = c.actor === 'anonymous' ? 'anonymous' : `as ${c.actor} (account ${resolved.account?.id})`;
    const targets = Object.entries(resolved.targets).map(([name, t]) => `${name}=${t.id} (${t.resource}, ${t.exists === true ? `exists${t.listing ? `, owner ${t.listing.ownerId}` : ''}` : t.exists === false ? 'missing' : 'unknown'})`);
    return [
      `${operation.method} ${operation.path} (${operation.id}) ${who}, ${c.kind} request: ${c.why}`,
      ...failures.map((f) => `  - ${f}`),
      ...(targets.length > 0 ? [`  targets: ${targets.join(', ')}`] : []),
      ...(expectation && c.kind !== 'odd' ? [`  expected: ${expectation.statuses.join(' or ')} (${expectation.why})`] : []),
      `  answer: ${answer.status} ${answer.text.slice(0, 400)}`,
      `  request id: ${createHash('sha256').update(JSON.stringify(resolved.request)).digest('hex').slice(0, 8)}`,
      toCurl(this.baseUrl, resolved.request),
    ].join('\n');
  }
}
