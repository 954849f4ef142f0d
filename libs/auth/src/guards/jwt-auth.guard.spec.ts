import { Controller, type ExecutionContext, ForbiddenException, Get, UnauthorizedException } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { Reflector } from '@nestjs/core';
import { type AuthenticatedUser, NoApiKeys, Public, RequiresScope } from '@app/common';
import { ReadFrom, type ReadSource } from '@app/database';
import { newApiKey } from '../api-keys/api-key-access';
import { ApiKeyAuthentication } from '../api-keys/api-key-authentication';
import { AccessTokens } from '../tokens/access-tokens';
import { JwtAuthGuard } from './jwt-auth.guard';

@Controller('open')
@Public()
class OpenController {
  @Get()
  read() {}
}

@Controller('mixed')
class MixedController {
  @Public()
  @Get('public')
  read() {}

  @Get('private')
  write() {}

  @RequiresScope('listings:write')
  @Get('scoped')
  scoped() {}
}

@Controller('account')
@NoApiKeys()
class AccountController {
  @Public()
  @Get('refresh')
  refresh() {}
}

interface FakeRequest {
  headers: { authorization?: string };
  user?: AuthenticatedUser;
}

function contextFor(controller: new () => object, handler: string, request: FakeRequest): ExecutionContext {
  return {
    getClass: () => controller,
    getHandler: () => (controller.prototype as Record<string, unknown>)[handler],
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => ({}) }),
  } as unknown as ExecutionContext;
}

/** The function behind a param decorator made with createParamDecorator, as Nest calls it. */
function paramFactory(decorator: () => ParameterDecorator): (data: unknown, context: ExecutionContext) => unknown {
  class Probe {
    handler(_value: unknown) {}
  }
  decorator()(Probe.prototype, 'handler', 0);
  const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, Probe, 'handler') as Record<string, { factory: (data: unknown, context: ExecutionContext) => unknown }>;
  return Object.values(args)[0].factory;
}

describe('JwtAuthGuard (the global guard: closed unless @Public())', () => {
  const secret = 'a-secret-for-this-unit-test-only-0123456789';
  const accessTokens = new AccessTokens(secret, 900);
  /** The API key path, which a real application runs against the database: only whether and how it is called matters here. */
  const apiKeys = { authenticate: jest.fn().mockResolvedValue(true), refuseOnPublicRoute: ApiKeyAuthentication.prototype.refuseOnPublicRoute };
  const guard = new JwtAuthGuard(new Reflector(), { accessTokens, refreshTokenTtlSeconds: 3600 }, apiKeys as unknown as ApiKeyAuthentication);
  /** Passport's check (JwtStrategy, with its database read), which only non-public routes reach. */
  let passport: jest.SpyInstance;
  const readFrom = paramFactory(ReadFrom) as (data: unknown, context: ExecutionContext) => ReadSource;

  beforeEach(() => {
    passport = jest.spyOn(Object.getPrototypeOf(JwtAuthGuard.prototype) as { canActivate: () => Promise<boolean> }, 'canActivate').mockResolvedValue(true);
  });
  afterEach(() => {
    passport.mockRestore();
    apiKeys.authenticate.mockClear();
  });

  describe('API keys (Bearer lak_…)', () => {
    it('on a route that needs a caller: the key path, with the route\'s declaration, never passport', async () => {
      const key = newApiKey();
      await expect(Promise.resolve(guard.canActivate(contextFor(MixedController, 'scoped', { headers: { authorization: `Bearer ${key}` } })))).resolves.toBe(true);
      expect(apiKeys.authenticate).toHaveBeenCalledWith(expect.anything(), expect.anything(), key, 'listings:write');
      await guard.canActivate(contextFor(MixedController, 'write', { headers: { authorization: `Bearer ${key}` } }));
      // Nothing declared: the key path gets undefined, which it refuses (closed by default).
      expect(apiKeys.authenticate).toHaveBeenLastCalledWith(expect.anything(), expect.anything(), key, undefined);
      expect(passport).not.toHaveBeenCalled();
    });

    it('on a public route: not looked up, read from a replica like any unverified header', () => {
      const context = contextFor(OpenController, 'read', { headers: { authorization: `Bearer ${newApiKey()}` } });
      expect(guard.canActivate(context)).toBe(true);
      expect(readFrom(undefined, context)).toBe('replica');
      expect(apiKeys.authenticate).not.toHaveBeenCalled();
    });

    it('on a public route no key may ever call (a token refresh): 403 without a lookup; without a key it stays open', () => {
      expect(() => guard.canActivate(contextFor(AccountController, 'refresh', { headers: { authorization: `Bearer ${newApiKey()}` } }))).toThrow(ForbiddenException);
      expect(guard.canActivate(contextFor(AccountController, 'refresh', { headers: {} }))).toBe(true);
      expect(apiKeys.authenticate).not.toHaveBeenCalled();
    });
  });

  describe('@Public()', () => {
    it.each([
      ['on the controller', OpenController, 'read'],
      ['on the handler', MixedController, 'read'],
    ] as const)('%s lets a request without a token through, without passport', async (_where, controller, handler) => {
      await expect(Promise.resolve(guard.canActivate(contextFor(controller, handler, { headers: {} })))).resolves.toBe(true);
      expect(passport).not.toHaveBeenCalled();
    });

    it('on another handler of the controller opens nothing: that route goes to passport', async () => {
      const context = contextFor(MixedController, 'write', { headers: {} });
      await expect(Promise.resolve(guard.canActivate(context))).resolves.toBe(true);
      expect(passport).toHaveBeenCalledWith(context);
    });

    it('a bad token on a public route is not a 401: the route stays open, and no passport check runs', async () => {
      for (const authorization of ['Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', 'Bearer']) {
        await expect(Promise.resolve(guard.canActivate(contextFor(OpenController, 'read', { headers: { authorization } })))).resolves.toBe(true);
      }
      expect(passport).not.toHaveBeenCalled();
    });
  });

  describe('read routing: a verified bearer on a public route reads from the primary, anything else from a replica', () => {
    const afterGuard = (request: FakeRequest, controller: new () => object = OpenController, handler = 'read') => {
      const context = contextFor(controller, handler, request);
      void guard.canActivate(context);
      return readFrom(undefined, context);
    };

    it('no Authorization header: a replica', () => {
      expect(afterGuard({ headers: {} })).toBe('replica');
    });

    it('an access token that verifies: the primary (the caller may read what it has just written)', () => {
      expect(afterGuard({ headers: { authorization: `Bearer ${accessTokens.issue({ userId: 7, version: 0 })}` } })).toBe('primary');
    });

    it.each([
      ['not a JWT', 'Bearer not-a-jwt'],
      ['signed with another key', `Bearer ${new AccessTokens('another-secret-of-at-least-32-bytes-long!!', 900).issue({ userId: 7, version: 0 })}`],
      ['expired', `Bearer ${new AccessTokens(secret, -10).issue({ userId: 7, version: 0 })}`],
      ['another scheme', 'Basic dXNlcjpwYXNz'],
      ['a bare scheme', 'Bearer'],
    ])('a token %s: a replica, as for an anonymous caller', (_what, authorization) => {
      expect(afterGuard({ headers: { authorization } })).toBe('replica');
    });

    it('a token that verified for one request does not move another request (same header) to the primary', () => {
      const authorization = `Bearer ${accessTokens.issue({ userId: 7, version: 0 })}`;
      expect(afterGuard({ headers: { authorization } })).toBe('primary');
      expect(readFrom(undefined, contextFor(OpenController, 'read', { headers: { authorization } }))).toBe('replica');
    });

    it('on a route that needs a token, the authenticated caller (request.user) reads from the primary', () => {
      expect(afterGuard({ headers: { authorization: 'Bearer x' }, user: { id: 7, role: 'USER' } }, MixedController, 'write')).toBe('primary');
    });
  });

  describe('handleRequest: passport\'s outcome as the API\'s 401s', () => {
    const context = (authorization?: string) => contextFor(MixedController, 'write', { headers: { authorization } });

    it('returns the user the strategy found', () => {
      const user: AuthenticatedUser = { id: 7, role: 'USER' };
      expect(guard.handleRequest(null, user, undefined, context('Bearer x'))).toBe(user);
    });

    it('no token: 401 saying how to send one', () => {
      expect(() => guard.handleRequest(null, false, undefined, context())).toThrow(
        new UnauthorizedException('Missing bearer token: send Authorization: Bearer <access_token>'),
      );
      expect(() => guard.handleRequest(null, false, undefined, context('Basic dXNlcjpwYXNz'))).toThrow('Missing bearer token');
    });

    it('a token that did not pass: 401 invalid or expired', () => {
      expect(() => guard.handleRequest(null, false, undefined, context('Bearer eyJ.x.y'))).toThrow(new UnauthorizedException('Invalid or expired access token'));
    });

    it('an error from the strategy (the database failing) is passed on for the exception filter, never turned into a 401', () => {
      const failure = new Error('connect ECONNREFUSED 127.0.0.1:5432');
      expect(() => guard.handleRequest(failure, false, undefined, context('Bearer x'))).toThrow(failure);
      // Not an Error of this realm (Node's socket errors under Jest): wrapped, the original kept as the cause.
      const foreign = { code: 'ECONNRESET' };
      let thrown: unknown;
      try {
        guard.handleRequest(foreign, false, undefined, context('Bearer x'));
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(Error);
      expect(thrown).not.toBeInstanceOf(UnauthorizedException);
      expect((thrown as Error).cause).toBe(foreign);
    });
  });
});
