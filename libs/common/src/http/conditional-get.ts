import { createHash } from 'node:crypto';
import { applyDecorators } from '@nestjs/common';
import { ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ApiHeaderObject, ApiResponseHeaders } from '../openapi/api-docs.decorators';
import { type HttpArgumentsHost, MapResult } from './handler-result';

/**
 * Conditional GETs (RFC 9110 §8.8.3, §13.1.2): every cacheable read sends an ETag and
 * `Cache-Control: no-cache` (clients may store the response but must revalidate it), and an
 * `If-None-Match` that matches is answered 304 without a body, with the same two headers.
 */
export const CACHE_CONTROL = 'no-cache';

/** An entity tag from the parts that determine a representation: a hash, so nothing internal leaks. */
export function entityTag(...parts: (string | number)[]): string {
  return `"${createHash('sha256').update(parts.join('\u001f')).digest('base64url').slice(0, 27)}"`;
}

/**
 * Does `If-None-Match` match `etag`? `*` matches any current representation; otherwise a comma-separated
 * list of entity tags compared weakly (a `W/` prefix on either side is ignored), as RFC 9110 requires
 * for If-None-Match. A malformed list matches nothing, so the client simply gets a 200.
 */
export function ifNoneMatchMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return true;
  const wanted = opaqueTag(etag);
  for (const match of value.matchAll(/(?:W\/)?"([^"]*)"/g)) {
    if (match[1] === wanted) return true;
  }
  return false;
}

function opaqueTag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

/** What a representation is a function of (for example a row count and a date): its entity tag hashes these parts. */
export type Version = readonly (string | number)[];

/** A body and the version it was read at (from the same statement, so the same snapshot). */
export interface Versioned<T> {
  body: T;
  version: Version;
}

type Source<T> =
  | { readonly known: Version; readonly build: () => Promise<T> }
  | { readonly probe: () => Promise<Version>; readonly read: () => Promise<Versioned<T>> };

/**
 * What a @ConditionalGet() handler returns when the version costs less than the body, so that a 304
 * never builds the body. Any other value a handler returns is the body itself, tagged by its JSON.
 */
export class ConditionalBody<T> {
  private constructor(readonly source: Source<T>) {}

  /** The version is known: `build` runs only for a 200 (a drawing, for example). */
  static deferred<T>(version: Version, build: () => Promise<T>): ConditionalBody<T> {
    return new ConditionalBody<T>({ known: version, build });
  }

  /**
   * `probe` reads the current version alone (a primary-key read, say), and only when the request has
   * If-None-Match: a match is a 304 that never reads the body. Otherwise `read` returns the body with
   * the version it was read at, and the tag comes from that version, so it is never newer than the
   * body (a tag newer than its body would keep a stale body valid in the client's cache). Without
   * If-None-Match, one read.
   */
  static probed<T>(probe: () => Promise<Version>, read: () => Promise<Versioned<T>>): ConditionalBody<T> {
    return new ConditionalBody<T>({ probe, read });
  }
}

export interface ConditionalGetOptions {
  /** Each query string is a representation of its own (a page of a list): the tag includes it. */
  perQueryString?: boolean;
}

/**
 * Sets ETag and Cache-Control on the 200, or answers 304 (no body, no Content-Type) when If-None-Match
 * matches. The resource name keeps the tags of different resources with equal versions apart.
 */
export class ConditionalGetResponder {
  constructor(
    private readonly resource: string,
    private readonly options: ConditionalGetOptions = {},
  ) {}

  /** The body to send, or undefined for a 304. */
  async respond(result: unknown, http: HttpArgumentsHost): Promise<unknown> {
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const ifNoneMatch = request.headers['if-none-match'];
    /** Sends the tag, and answers 304 when it is the client's: then there is no body to send. */
    const isCurrent = (etag: string): boolean => {
      const matches = ifNoneMatchMatches(ifNoneMatch, etag);
      void reply.header('etag', etag).header('cache-control', CACHE_CONTROL);
      if (matches) void reply.status(304).removeHeader('content-type');
      return matches;
    };
    // A body without a cheaper version: the tag hashes the representation itself, so it changes
    // exactly when the body does.
    if (!(result instanceof ConditionalBody)) return isCurrent(this.tagOf([JSON.stringify(result)], request)) ? undefined : result;
    const source = (result as ConditionalBody<unknown>).source;
    if ('known' in source) return isCurrent(this.tagOf(source.known, request)) ? undefined : source.build();
    if (ifNoneMatch !== undefined && isCurrent(this.tagOf(await source.probe(), request))) return undefined;
    // A 200 carries the tag of the version read with its body (replacing the probe's).
    const { body, version } = await source.read();
    return isCurrent(this.tagOf(version, request)) ? undefined : body;
  }

  private tagOf(version: Version, request: FastifyRequest): string {
    if (!this.options.perQueryString) return entityTag(this.resource, ...version);
    return entityTag(this.resource, ...version, queryStringOf(request.url));
  }
}

/** The query string as the client sent it (`?limit=10`, or '' for none): a substring, not a URL parse per request. */
function queryStringOf(url: string): string {
  const start = url.indexOf('?');
  return start === -1 || start === url.length - 1 ? '' : url.slice(start);
}

/** Where a conditional GET resolves its body among a handler's result steps: before @Paginated() cuts the page. */
export const CONDITIONAL_GET_STEP = 10;

/** ETag and Cache-Control: on every response of a conditional GET, 200 and 304 alike. */
const CONDITIONAL_GET_HEADERS: Record<string, ApiHeaderObject> = {
  ETag: {
    description: 'The version of this representation: send it back in `If-None-Match` to get a 304 while it is unchanged.',
    schema: { type: 'string' },
  },
  'Cache-Control': {
    description: '`no-cache`: clients may store the response, but must revalidate it (If-None-Match) before using it.',
    schema: { type: 'string' },
  },
};

/**
 * A conditional GET (RFC 9110): ETag and `Cache-Control: no-cache` on the 200, and a 304 without a
 * body when If-None-Match matches, documented with the If-None-Match header and the 304 response.
 * The handler returns the body (tagged by its JSON) or a ConditionalBody (tagged by its version, the
 * body built or read only when needed). `resource` names the kind of representation in the tag.
 */
export function ConditionalGet(resource: string, options: ConditionalGetOptions = {}): MethodDecorator {
  const responder = new ConditionalGetResponder(resource, options);
  return applyDecorators(
    MapResult(CONDITIONAL_GET_STEP, (result, http) => responder.respond(result, http)),
    ApiHeader({
      name: 'If-None-Match',
      required: false,
      description: 'ETags of representations the client has (a comma-separated list, weak comparison), or `*`: 304 when one is current.',
      schema: { type: 'string' },
    }),
    ApiResponseHeaders(200, CONDITIONAL_GET_HEADERS),
    ApiResponse({ status: 304, description: 'Not Modified: the representation the client has (If-None-Match) is current. No body.', headers: CONDITIONAL_GET_HEADERS }),
  );
}
