import { ACCOUNT_CEILING_THROTTLER, ACCOUNT_THROTTLER, IP_THROTTLER, accountCeilingKey, accountKey, attemptedEmail, authThrottlers, clientAddress } from './auth-throttler.guard';

const login = (email: unknown, ip: string) => ({ body: { email, password: 'x' }, ip });

describe('login rate-limit keys', () => {
  it('reads the email as accounts are stored: trimmed, lower case', () => {
    expect(attemptedEmail({ body: { email: '  Alice@Example.TEST ' } })).toBe('alice@example.test');
    expect(attemptedEmail({ body: { refresh_token: 'r' } })).toBeUndefined();
    expect(attemptedEmail({ body: { email: 42 } })).toBeUndefined();
    expect(attemptedEmail({ body: undefined })).toBeUndefined();
    expect(attemptedEmail({ body: 'email=alice@example.test' })).toBeUndefined();
  });

  it('counts an email per account and client address, so a stranger fills a bucket of their own', () => {
    const owner = accountKey(login('alice@example.test', '127.0.0.3'));
    const stranger = accountKey(login('alice@example.test', '127.0.0.2'));
    expect(stranger).not.toBe(owner);
    expect(stranger).toBe('ip:127.0.0.2|email:alice@example.test');
    // The same pair, however the email is written, is one bucket.
    expect(accountKey(login(' ALICE@example.test', '127.0.0.2'))).toBe(stranger);
    // Another account from the same address is another bucket.
    expect(accountKey(login('bob@example.test', '127.0.0.2'))).not.toBe(stranger);
  });

  it('no email can make one (address, account) pair look like another', () => {
    // The address comes first and never holds a "|": an email that imitates the separator stays apart.
    expect(accountKey(login('x|ip:127.0.0.9', '127.0.0.2'))).not.toBe(accountKey(login('x', '127.0.0.9|ip:127.0.0.2')));
    expect(accountKey(login('a|email:b', '127.0.0.2'))).toBe('ip:127.0.0.2|email:a|email:b');
  });

  it('counts an IPv6 client by its /64, as the per-IP limit does', () => {
    expect(clientAddress({ ip: '127.0.0.7' })).toBe('127.0.0.7');
    expect(accountKey(login('alice@example.test', '::1'))).toBe(accountKey(login('alice@example.test', '0:0:0:0:0:0:0:1')));
    expect(accountKey(login('alice@example.test', '2001:db8:1:2::a'))).toBe(accountKey(login('alice@example.test', '2001:db8:1:2::b')));
    expect(accountKey(login('alice@example.test', '2001:db8:1:2::a'))).not.toBe(accountKey(login('alice@example.test', '2001:db8:1:3::a')));
  });

  it('keeps a refresh token keyed on the token alone, whatever the address (only its holder can send it)', () => {
    const token = 'r'.repeat(80);
    expect(accountKey({ body: { refresh_token: token }, ip: '127.0.0.2' })).toBe(`refresh:${'r'.repeat(64)}`);
    expect(accountKey({ body: { refresh_token: token }, ip: '127.0.0.3' })).toBe(accountKey({ body: { refresh_token: token }, ip: '127.0.0.2' }));
    expect(accountKey({ body: {}, ip: '127.0.0.2' })).toBe('ip:127.0.0.2');
  });

  it('the ceiling counts the account alone, from every address; without an email there is none', () => {
    expect(accountCeilingKey(login('Alice@example.test', '127.0.0.2'))).toBe('email:alice@example.test');
    expect(accountCeilingKey(login('alice@example.test', '127.0.0.3'))).toBe(accountCeilingKey(login('alice@example.test', '127.0.0.2')));
    expect(accountCeilingKey({ body: { refresh_token: 'r' } })).toBeUndefined();
    expect(accountCeilingKey({ body: undefined })).toBeUndefined();
  });
});

describe('authThrottlers', () => {
  const throttlers = authThrottlers({ rateLimitPerIp: 20, rateLimitPerAccount: 5, rateLimitPerAccountCeiling: 50 });
  const context = (body: unknown) => ({ switchToHttp: () => ({ getRequest: () => ({ body, ip: '127.0.0.2' }) }) }) as never;

  it('per IP, then per (account, IP), then the per-account ceiling, each a minute', () => {
    expect(throttlers.map(({ name, limit, ttl }) => ({ name, limit, ttl }))).toEqual([
      { name: IP_THROTTLER, limit: 20, ttl: 60_000 },
      { name: ACCOUNT_THROTTLER, limit: 5, ttl: 60_000 },
      { name: ACCOUNT_CEILING_THROTTLER, limit: 50, ttl: 60_000 },
    ]);
    // The per-IP one keeps ThrottlerGuard's own tracker (request.ip).
    expect(throttlers[0].getTracker).toBeUndefined();
  });

  it('the ceiling applies to requests naming an account by email, and skips refresh tokens', async () => {
    const ceiling = throttlers[2];
    expect(ceiling.skipIf?.(context({ email: 'alice@example.test', password: 'x' }))).toBe(false);
    expect(ceiling.skipIf?.(context({ refresh_token: 'r' }))).toBe(true);
    expect(ceiling.skipIf?.(context(undefined))).toBe(true);
    expect(await ceiling.getTracker?.({ body: { email: 'alice@example.test' }, ip: '127.0.0.2' }, context(undefined))).toBe('email:alice@example.test');
    expect(await throttlers[1].getTracker?.({ body: { email: 'alice@example.test' }, ip: '127.0.0.2' }, context(undefined))).toBe('ip:127.0.0.2|email:alice@example.test');
  });
});
