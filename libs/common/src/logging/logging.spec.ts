import { fastifyTrustProxy } from '../http/trust-proxy';
import { createLogging } from './logging';
import { requestIdFor } from './request-id';

function capture() {
  const chunks: string[] = [];
  return { write: (chunk: string) => void chunks.push(chunk), lines: () => chunks.map((chunk) => JSON.parse(chunk) as Record<string, unknown>) };
}

describe('createLogging', () => {
  it.each([
    ['error', ['error'], ['warn', 'info', 'debug']],
    ['warn', ['error', 'warn'], ['info', 'debug']],
    ['log', ['error', 'warn', 'info'], ['debug', 'trace']],
    ['debug', ['error', 'warn', 'info', 'debug'], ['trace']],
  ] as const)('LOG_LEVEL=%s logs %j, not %j', (level, shown, hidden) => {
    const { logger } = createLogging(level, capture());
    for (const name of shown) expect(logger.isLevelEnabled(name)).toBe(true);
    for (const name of hidden) expect(logger.isLevelEnabled(name)).toBe(false);
  });

  it('censors secrets in what Nest logs, at the top of an object and one level down', () => {
    const output = capture();
    const { appLogger } = createLogging('log', output);
    appLogger.info({ email: 'a@b.test', password: 'hunter2', body: { refresh_token: 'r-123', new_password: 'n-456' }, authorization: 'Bearer t' }, 'careless');
    expect(output.lines()[0]).toMatchObject({
      level: 'info',
      email: 'a@b.test',
      password: '[redacted]',
      body: { refresh_token: '[redacted]', new_password: '[redacted]' },
      authorization: '[redacted]',
      msg: 'careless',
    });
  });
});

describe('requestIdFor', () => {
  const id = (header?: string | string[]) => requestIdFor({ headers: { 'x-request-id': header } });

  it("keeps a well-formed X-Request-Id and replaces anything else with a UUID", () => {
    expect(id('0af3c2e4b5d6e7f80af3c2e4b5d6e7f8')).toBe('0af3c2e4b5d6e7f80af3c2e4b5d6e7f8');
    expect(id('svc:edge-01.request_42')).toBe('svc:edge-01.request_42');
    for (const bad of [undefined, '', 'a b', 'a\u0000', 'é', 'x'.repeat(129), ['a', 'b']]) {
      expect(id(bad)).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(id()).not.toBe(id());
  });
});

describe('fastifyTrustProxy', () => {
  it('passes addresses as they are and turns a hop count into a trust function', () => {
    expect(fastifyTrustProxy(false)).toBe(false);
    expect(fastifyTrustProxy(0)).toBe(false);
    expect(fastifyTrustProxy(['10.0.0.0/8'])).toEqual(['10.0.0.0/8']);
    const twoHops = fastifyTrustProxy(2);
    if (typeof twoHops !== 'function') throw new Error('expected a function');
    expect([0, 1, 2].map((hop) => twoHops('192.0.2.1', hop))).toEqual([true, true, false]);
  });
});
