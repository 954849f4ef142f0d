import { ConflictException, UnauthorizedException } from '@nestjs/common';
import jwt from 'jsonwebtoken';
import { AuthService } from './auth.service';
import { AccessTokens } from './tokens/access-tokens';
import type { RefreshTokensService, RotationResult } from './tokens/refresh-tokens.service';
import { type CredentialRow, type UsersService, hashPassword } from '@app/users';
import type { AuditLog } from '@app/audit';
import type { AuthenticatedUser } from '@app/common';

const PASSWORD = 'correct horse battery staple';
const REFRESH_TTL = 3600;

/** Sign-in, refresh and sign-out, with the accounts and the refresh-token store mocked (their SQL is covered end to end). */
describe('AuthService', () => {
  const accessTokens = new AccessTokens('a-secret-for-this-unit-test-only-0123456789', 900);
  let passwordHash: string;
  let users: { [K in 'register' | 'findCredentials' | 'findCredentialsById' | 'changePassword' | 'revokeAllTokens']: jest.Mock };
  let refreshTokens: { [K in 'startFamily' | 'rotate' | 'revokeFamilyOf']: jest.Mock };
  let auth: AuthService;
  let auditLog: { recordEvent: jest.Mock };
  const origin = { requestId: 'req-1', ip: '203.0.113.7' };

  beforeAll(async () => {
    passwordHash = await hashPassword(PASSWORD);
  });

  beforeEach(() => {
    users = { register: jest.fn(), findCredentials: jest.fn(), findCredentialsById: jest.fn(), changePassword: jest.fn(), revokeAllTokens: jest.fn() };
    refreshTokens = { startFamily: jest.fn(), rotate: jest.fn(), revokeFamilyOf: jest.fn() };
    auditLog = { recordEvent: jest.fn(() => Promise.resolve()) };
    auth = new AuthService(
      users as unknown as UsersService,
      refreshTokens as unknown as RefreshTokensService,
      { accessTokens, refreshTokenTtlSeconds: REFRESH_TTL, adminEmail: 'admin@example.test' },
      auditLog as unknown as AuditLog,
    );
  });

  const account = (change: Partial<CredentialRow> = {}): CredentialRow => ({ id: 7, passwordHash, active: true, tokenVersion: 3, ...change });
  /** The claims of an access token this service issued, checked with its key. */
  const claimsOf = (token: string) => jwt.verify(token, accessTokens.key, { algorithms: ['HS256'] }) as jwt.JwtPayload;

  describe('login', () => {
    it('the right password: a new refresh-token family at the account\'s version, and an access token carrying that version', async () => {
      users.findCredentials.mockResolvedValue(account());
      refreshTokens.startFamily.mockResolvedValue('refresh-1');

      const pair = await auth.login('someone@example.test', PASSWORD, origin);

      expect(users.findCredentials).toHaveBeenCalledWith('someone@example.test');
      expect(refreshTokens.startFamily).toHaveBeenCalledWith(7, 3, REFRESH_TTL);
      expect(pair).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, refresh_token: 'refresh-1' });
      expect(claimsOf(pair.access_token)).toMatchObject({ sub: '7', ver: 3 });
      expect(auditLog.recordEvent).not.toHaveBeenCalled();
    });

    it.each([
      ['an unknown email', () => null, PASSWORD],
      ['a wrong password', () => account(), 'a wrong guess'],
      ['a deactivated account, even with the right password', () => account({ active: false }), PASSWORD],
    ])('%s: the same 401, and no token issued', async (_case, found, password) => {
      users.findCredentials.mockResolvedValue(found());
      await expect(auth.login('someone@example.test', password, origin)).rejects.toThrow(new UnauthorizedException('Invalid email or password'));
      expect(refreshTokens.startFamily).not.toHaveBeenCalled();
      // Audited with no actor, the account (when there is one) as target, and nothing of what was typed.
      expect(auditLog.recordEvent).toHaveBeenCalledWith({ action: 'auth.sign_in_failed', actor: null, origin, target: { type: 'user', id: found()?.id ?? null } });
    });
  });

  describe('refresh', () => {
    it('a rotated token: the next refresh token, and an access token at the version read under the account lock', async () => {
      const rotation: RotationResult = { outcome: 'rotated', token: 'refresh-2', userId: 7, tokenVersion: 4 };
      refreshTokens.rotate.mockResolvedValue(rotation);

      const pair = await auth.refresh('refresh-1');

      expect(refreshTokens.rotate).toHaveBeenCalledWith('refresh-1', REFRESH_TTL);
      expect(pair).toMatchObject({ token_type: 'Bearer', expires_in: 900, refresh_token: 'refresh-2' });
      expect(claimsOf(pair.access_token)).toMatchObject({ sub: '7', ver: 4 });
    });

    it('a rejected token (unknown, used, revoked, expired, stale version, inactive account): 401', async () => {
      refreshTokens.rotate.mockResolvedValue({ outcome: 'rejected' } satisfies RotationResult);
      await expect(auth.refresh('refresh-1')).rejects.toThrow(new UnauthorizedException('Invalid or expired refresh token'));
    });
  });

  describe('logout', () => {
    it('revokes the family of the token it is given', async () => {
      refreshTokens.revokeFamilyOf.mockResolvedValue(undefined);
      await auth.logout('refresh-1');
      expect(refreshTokens.revokeFamilyOf).toHaveBeenCalledWith('refresh-1');
    });

    it('everywhere: every token of the account, through the account (version bump and revocation)', async () => {
      users.revokeAllTokens.mockResolvedValue(undefined);
      await auth.logoutEverywhere(7);
      expect(users.revokeAllTokens).toHaveBeenCalledWith(7);
      expect(refreshTokens.revokeFamilyOf).not.toHaveBeenCalled();
    });
  });

  describe('changePassword', () => {
    const caller: AuthenticatedUser = { id: 7, role: 'USER' };

    it('with the current password: changed', async () => {
      users.findCredentialsById.mockResolvedValue(account());
      await auth.changePassword(caller, PASSWORD, 'a brand new password', origin);
      expect(users.findCredentialsById).toHaveBeenCalledWith(7);
      expect(users.changePassword).toHaveBeenCalledWith(caller, 'a brand new password', origin);
    });

    it('with a wrong current password, or for an account that is gone: 401, nothing changed', async () => {
      users.findCredentialsById.mockResolvedValueOnce(account()).mockResolvedValueOnce(null);
      await expect(auth.changePassword(caller, 'a wrong guess', 'a brand new password', origin)).rejects.toThrow(new UnauthorizedException('Current password is wrong'));
      await expect(auth.changePassword(caller, PASSWORD, 'a brand new password', origin)).rejects.toThrow(UnauthorizedException);
      expect(users.changePassword).not.toHaveBeenCalled();
    });
  });

  describe('register', () => {
    it('the configured admin address is taken for the public, whether its account exists or not', async () => {
      await expect(auth.register('admin@example.test', PASSWORD, origin)).rejects.toThrow(new ConflictException('An account with this email already exists'));
      expect(users.register).not.toHaveBeenCalled();
    });

    it('any other address goes to the accounts', async () => {
      users.register.mockResolvedValue({ id: 8, email: 'someone@example.test', role: 'USER', created_date: '2026-12-03T00:00:00.000Z' });
      await expect(auth.register('someone@example.test', PASSWORD, origin)).resolves.toMatchObject({ id: 8 });
      expect(users.register).toHaveBeenCalledWith('someone@example.test', PASSWORD, origin);
    });
  });
});
