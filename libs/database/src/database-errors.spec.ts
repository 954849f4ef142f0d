import { databaseErrorKind, databaseUnavailableCause, isUniqueViolation } from './database-errors';

/** The shapes below were captured from node-postgres 8.23, pg-pool 3.14 and Prisma 6.19 with @prisma/adapter-pg. */
const socketError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { errno: -111, code, syscall: 'connect', address: '127.0.0.1', port: 5432 });
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'FATAL' });
const prismaError = (code: string, meta: object) => Object.assign(new Error(`Invalid \`prisma.user.findFirst()\` invocation: ...`), { code, meta, clientVersion: '6.19.3' });

describe('databaseUnavailableCause', () => {
  it.each([
    ['a refused connection', socketError('ECONNREFUSED'), 'connection failed (ECONNREFUSED)'],
    ['a reset connection', socketError('ECONNRESET'), 'connection failed (ECONNRESET)'],
    ['an unknown host', socketError('ENOTFOUND'), 'connection failed (ENOTFOUND)'],
    ['an admin shutdown', pgError('57P01', 'terminating connection due to administrator command'), 'server shutting down (57P01)'],
    ['a server starting up', pgError('57P03', 'the database system is starting up'), 'server not accepting connections (57P03)'],
    ['a connection exception', pgError('08006', 'connection failure'), 'connection exception (08006)'],
    ['a statement timeout', pgError('57014', 'canceling statement due to statement timeout'), 'statement timeout'],
    ['too many connections', pgError('53300', 'sorry, too many clients already'), 'too many connections (53300)'],
    ['pg-pool waiting too long', new Error('timeout exceeded when trying to connect'), 'connection pool timeout'],
    ['a connect timeout', new Error('Connection terminated due to connection timeout'), 'connect timeout'],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly'), 'connection lost'],
    ['a client that lost its connection', new Error('Client has encountered a connection error and is not queryable'), 'connection lost'],
    ['a server that stopped answering', new Error('Query read timeout'), 'no answer (query timeout)'],
    ['Prisma: server not reachable', prismaError('P1001', { driverAdapterError: { cause: { kind: 'DatabaseNotReachable', host: '127.0.0.1', port: 1 } } }), 'database not reachable (P1001)'],
    ['Prisma raw: server not reachable', prismaError('P2010', { driverAdapterError: { cause: { kind: 'DatabaseNotReachable' } } }), 'database not reachable (P1001)'],
    ['Prisma: admin shutdown', prismaError('P2010', { driverAdapterError: { cause: { originalCode: '57P01', kind: 'postgres', code: '57P01' } } }), 'server shutting down (57P01)'],
    ['Prisma: statement timeout', prismaError('P2010', { driverAdapterError: { cause: { originalCode: '57014', kind: 'postgres', code: '57014' } } }), 'statement timeout'],
    ['Prisma: connection closed', prismaError('P1017', {}), 'server closed the connection (P1017)'],
    ['Prisma passing pg-pool on', Object.assign(new Error('timeout exceeded when trying to connect'), { clientVersion: '6.19.3' }), 'connection pool timeout'],
    ['a wrapped cause', new Error('authentication failed', { cause: socketError('ECONNREFUSED') }), 'connection failed (ECONNREFUSED)'],
  ])('%s', (_what, error, cause) => {
    expect(databaseUnavailableCause(error)).toBe(cause);
  });

  it.each([
    ['a unique violation', pgError('23505', 'duplicate key value violates unique constraint')],
    ['Prisma: missing table', prismaError('P2021', { driverAdapterError: { cause: { originalCode: '42P01', kind: 'TableDoesNotExist' } } })],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['not an error', 'ECONNREFUSED'],
  ])('is undefined for %s', (_what, error) => {
    expect(databaseUnavailableCause(error)).toBeUndefined();
  });
});

describe('databaseErrorKind', () => {
  it.each([
    ['P2002', 'unique-violation'],
    ['P2003', 'missing-reference'],
    ['P2025', 'not-found'],
    ['P2028', 'transaction-wait'],
  ])('classifies Prisma %s as %s', (code, kind) => {
    expect(databaseErrorKind(prismaError(code, {}))).toBe(kind);
  });

  it.each([
    ['an unavailable database', socketError('ECONNREFUSED')],
    ['another Prisma error', prismaError('P2021', {})],
    ['a code that is an Object.prototype property', Object.assign(new Error('odd'), { code: 'toString' })],
    ['not an error', null],
  ])('is undefined for %s', (_what, error) => {
    expect(databaseErrorKind(error)).toBeUndefined();
  });

  it('tells a unique violation (an email already registered)', () => {
    expect(isUniqueViolation(prismaError('P2002', { target: ['email'] }))).toBe(true);
    expect(isUniqueViolation(prismaError('P2025', {}))).toBe(false);
  });
});
