import type { SqlQuery, SqlTransaction } from '@app/database';
import { AuditLog } from './audit-log.service';

/** What AuditLog writes for an entry: the statement's values (the SQL itself runs in test/audit-log.e2e-spec.ts). */
describe('AuditLog.record', () => {
  const origin = { requestId: 'req-7', ip: '203.0.113.7' };
  const sent: SqlQuery[] = [];
  const tx: SqlTransaction = {
    query: <R>(query: SqlQuery) => {
      sent.push(query);
      return Promise.resolve([] as R[]);
    },
  };
  const auditLog = new AuditLog({} as never);

  beforeEach(() => (sent.length = 0));

  it('an API key\'s request: the key\'s owner, role and the key id as the actor', async () => {
    await auditLog.record(tx, {
      action: 'api_key.revoked',
      actor: { id: 7, role: 'USER', apiKey: { id: 42, scopes: ['listings:write'] } },
      origin,
      target: { type: 'api_key', id: 42 },
    });
    expect(sent).toHaveLength(1);
    expect(sent[0].name).toBe('audit_log_insert');
    expect(sent[0].values).toEqual(['api_key.revoked', 7, 42, 'USER', 'api_key', 42, 'req-7', '203.0.113.7', '{}']);
  });

  it('no actor (a failed sign-in): user, key and role all null; changes as JSON', async () => {
    await auditLog.record(tx, { action: 'auth.sign_in_failed', actor: null, origin, target: { type: 'user', id: null }, changes: { a: [1, 2] } });
    expect(sent[0].values).toEqual(['auth.sign_in_failed', null, null, null, 'user', null, 'req-7', '203.0.113.7', '{"a":[1,2]}']);
  });
});
