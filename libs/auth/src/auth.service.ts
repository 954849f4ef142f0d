import { ConflictException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { type AuditOrigin, AuditLog } from '@app/audit';
import type { AuthenticatedUser } from '@app/common';
import { type UserView, UsersService, verifyAgainstDummy, verifyPassword } from '@app/users';
import { TokenPairView } from './dto/token-pair.view';
import { AccessTokens } from './tokens/access-tokens';
import { RefreshTokensService } from './tokens/refresh-tokens.service';

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');

export interface AuthSettings {
  accessTokens: AccessTokens;
  refreshTokenTtlSeconds: number;
  /** ADMIN_EMAIL, normalised: an address nobody may register through the API (see `register`). */
  adminEmail?: string;
}

// One message for unknown email, wrong password and deactivated account: nothing to enumerate.
const BAD_CREDENTIALS = 'Invalid email or password';
const BAD_REFRESH = 'Invalid or expired refresh token';
const EMAIL_TAKEN = 'An account with this email already exists';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly refreshTokens: RefreshTokensService,
    @Inject(AUTH_SETTINGS) private readonly settings: AuthSettings,
    private readonly auditLog: AuditLog,
  ) {}

  /**
   * The configured admin address is never open to public registration, whether its account exists yet
   * or not: otherwise whoever registers it first (before the first start, or while the database is
   * down at startup and the admin has not been created yet) would own the account the operator
   * configured. The answer is the one a taken address gets.
   */
  register(email: string, password: string, origin: AuditOrigin): Promise<UserView> {
    if (email === this.settings.adminEmail) return Promise.reject(new ConflictException(EMAIL_TAKEN));
    return this.users.register(email, password, origin);
  }

  /**
   * A failed sign-in is audited (auth.sign_in_failed): no actor (nobody proved who they are, and naming the account
   * as actor would put a stranger's guesses among its owner's own actions), the account as target when the email
   * has one (null otherwise), the client IP; never the password, nor the email typed for an unknown account.
   */
  async login(email: string, password: string, origin: AuditOrigin): Promise<TokenPairView> {
    const user = await this.users.findCredentials(email);
    // Unknown emails still pay for a hash check, so timing does not reveal which accounts exist.
    const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    if (!user || !valid || !user.active) {
      await this.auditLog.recordEvent({ action: 'auth.sign_in_failed', actor: null, origin, target: { type: 'user', id: user?.id ?? null } });
      throw new UnauthorizedException(BAD_CREDENTIALS);
    }
    // Both tokens carry the version read here: if a password change commits while this login runs,
    // they are refused on first use (RefreshTokensService explains why that cannot be raced).
    const refreshToken = await this.refreshTokens.startFamily(user.id, user.tokenVersion, this.settings.refreshTokenTtlSeconds);
    return this.pair(user.id, user.tokenVersion, refreshToken);
  }

  /** The account's activity and token version are checked by `rotate`, under the account row's lock. */
  async refresh(token: string): Promise<TokenPairView> {
    const rotation = await this.refreshTokens.rotate(token, this.settings.refreshTokenTtlSeconds);
    if (rotation.outcome === 'rejected') throw new UnauthorizedException(BAD_REFRESH);
    return this.pair(rotation.userId, rotation.tokenVersion, rotation.token);
  }

  logout(token: string): Promise<void> {
    return this.refreshTokens.revokeFamilyOf(token);
  }

  /** Sign out everywhere: every access and refresh token of the account stops working. */
  logoutEverywhere(userId: number): Promise<void> {
    return this.users.revokeAllTokens(userId);
  }

  async changePassword(caller: AuthenticatedUser, currentPassword: string, newPassword: string, origin: AuditOrigin): Promise<void> {
    const user = await this.users.findCredentialsById(caller.id);
    if (!user || !(await verifyPassword(user.passwordHash, currentPassword))) {
      throw new UnauthorizedException('Current password is wrong');
    }
    await this.users.changePassword(caller, newPassword, origin);
  }

  private pair(userId: number, version: number, refreshToken: string): TokenPairView {
    const { accessTokens } = this.settings;
    return {
      access_token: accessTokens.issue({ userId, version }),
      token_type: 'Bearer',
      expires_in: accessTokens.ttlSeconds,
      refresh_token: refreshToken,
    };
  }
}
