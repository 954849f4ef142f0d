import { ConflictException, NotFoundException } from '@nestjs/common';
import type { AuthenticatedUser, Role } from '@app/common';
import type { UpdateUserDto } from './dto/admin.dto';
import { UsersService, changeEndsSignIns } from './users.service';

describe('which admin changes end an account\'s sign-ins (changeEndsSignIns)', () => {
  const user = { role: 'USER' as Role, active: true };
  const admin = { role: 'ADMIN' as Role, active: true };
  const inactive = { role: 'USER' as Role, active: false };

  it.each([
    ['a promotion', user, { role: 'ADMIN' }, true],
    ['a demotion', admin, { role: 'USER' }, true],
    ['a deactivation', user, { active: false }, true],
    ['a role change with a reactivation', inactive, { role: 'ADMIN', active: true }, true],
    ['the role it already has', admin, { role: 'ADMIN' }, false],
    ['a reactivation', inactive, { active: true }, false],
    ['deactivating an inactive account', inactive, { active: false }, false],
    ['keeping an account active', user, { active: true }, false],
    ['an empty change', user, {}, false],
  ] as [string, { role: Role; active: boolean }, UpdateUserDto, boolean][])('%s: %s', (_case, current, change, ends) => {
    expect(changeEndsSignIns(current, change)).toBe(ends);
  });
});

/** PATCH /admin/users/{id}, with the database faked: the rules around the one transaction. */
describe('UsersService.update', () => {
  const caller: AuthenticatedUser = { id: 5, role: 'ADMIN' };
  const createdDate = new Date('2026-12-01T10:00:00.000Z');
  let tx: { user: { findUnique: jest.Mock; update: jest.Mock } };
  let prisma: { $transaction: jest.Mock };
  let users: UsersService;
  let auditLog: { recordInPrisma: jest.Mock };
  const origin = { requestId: 'req-1', ip: '127.0.0.1' };

  beforeEach(() => {
    tx = {
      user: {
        findUnique: jest.fn(),
        update: jest.fn((args: { where: { id: number }; data: { role?: Role; active?: boolean } }) =>
          Promise.resolve({ id: args.where.id, email: 'someone@example.test', role: args.data.role ?? 'USER', active: args.data.active ?? true, createdDate }),
        ),
      },
    };
    prisma = { $transaction: jest.fn((work: (client: typeof tx) => Promise<unknown>) => work(tx)) };
    auditLog = { recordInPrisma: jest.fn(() => Promise.resolve()) };
    users = new UsersService(prisma as never, {} as never, auditLog as never);
  });

  const versionBumped = () => 'tokenVersion' in (tx.user.update.mock.calls as [{ data: object }][])[0][0].data;

  it.each([
    ['demote', { role: 'USER' }],
    ['deactivate', { active: false }],
    ['demote and deactivate', { role: 'USER', active: false }],
  ] as [string, UpdateUserDto][])('an admin cannot %s themselves: 409, before any database access', async (_what, change) => {
    await expect(users.update(caller, caller.id, change, origin)).rejects.toThrow(new ConflictException('Admins cannot demote or deactivate themselves; ask another admin'));
    expect(prisma.$transaction).not.toHaveBeenCalled();
  });

  it('an admin may write what they already are to themselves (no lock-out, nothing ended)', async () => {
    tx.user.findUnique.mockResolvedValue({ role: 'ADMIN', active: true });
    await expect(users.update(caller, caller.id, { role: 'ADMIN', active: true }, origin)).resolves.toMatchObject({ id: caller.id, role: 'ADMIN', active: true });
    expect(versionBumped()).toBe(false);
  });

  it('an unknown account: 404 naming it, nothing written', async () => {
    tx.user.findUnique.mockResolvedValue(null);
    await expect(users.update(caller, 9, { active: false }, origin)).rejects.toThrow(new NotFoundException('User 9 not found'));
    expect(tx.user.update).not.toHaveBeenCalled();
  });

  it('a role change bumps the token version, in the transaction that reads the account, and answers the admin view', async () => {
    tx.user.findUnique.mockResolvedValue({ role: 'USER', active: true });
    const view = await users.update(caller, 9, { role: 'ADMIN' }, origin);
    expect(tx.user.findUnique).toHaveBeenCalledWith(expect.objectContaining({ where: { id: 9 } }));
    expect(tx.user.update).toHaveBeenCalledWith(expect.objectContaining({ where: { id: 9 }, data: { role: 'ADMIN', active: undefined, tokenVersion: { increment: 1 } } }));
    expect(view).toEqual({ id: 9, email: 'someone@example.test', role: 'ADMIN', active: true, created_date: createdDate.toISOString() });
    expect(auditLog.recordInPrisma).toHaveBeenCalledTimes(1);
    expect(auditLog.recordInPrisma).toHaveBeenCalledWith(tx, {
      action: 'user.role_changed',
      actor: caller,
      origin,
      target: { type: 'user', id: 9 },
      changes: { role: ['USER', 'ADMIN'] },
    });
  });

  it('a change of both role and activity: one audit entry each, in the same transaction', async () => {
    tx.user.findUnique.mockResolvedValue({ role: 'USER', active: true });
    await users.update(caller, 9, { role: 'ADMIN', active: false }, origin);
    expect(auditLog.recordInPrisma.mock.calls.map(([client, entry]: [unknown, { action: string; changes: unknown }]) => [client, entry.action, entry.changes])).toEqual([
      [tx, 'user.role_changed', { role: ['USER', 'ADMIN'] }],
      [tx, 'user.active_changed', { active: [true, false] }],
    ]);
  });

  it('a deactivation bumps it too', async () => {
    tx.user.findUnique.mockResolvedValue({ role: 'USER', active: true });
    await users.update(caller, 9, { active: false }, origin);
    expect(versionBumped()).toBe(true);
  });

  it.each([
    ['a reactivation', { role: 'USER', active: false }, { active: true }],
    ['the role the account already has', { role: 'ADMIN', active: true }, { role: 'ADMIN' }],
  ] as [string, { role: Role; active: boolean }, UpdateUserDto][])('%s leaves the token version (and the sign-ins) alone', async (_what, current, change) => {
    tx.user.findUnique.mockResolvedValue(current);
    await users.update(caller, 9, change, origin);
    expect(tx.user.update).toHaveBeenCalledTimes(1);
    expect(versionBumped()).toBe(false);
  });

  it('writing the role an account already has records nothing: nothing changed', async () => {
    tx.user.findUnique.mockResolvedValue({ role: 'ADMIN', active: true });
    await users.update(caller, 9, { role: 'ADMIN', active: true }, origin);
    expect(auditLog.recordInPrisma).not.toHaveBeenCalled();
  });
});
