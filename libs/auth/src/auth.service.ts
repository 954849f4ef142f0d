import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { TokenPairView } from './dto/user.view';
import { verifyAgainstDummy, verifyPassword } from './passwords';
import { AccessTokens } from './tokens/access-tokens';
import { RefreshTokensService } from './tokens/refresh-tokens.service';
import { UsersService } from './users/users.service';

export const AUTH_SETTINGS = Symbol('AUTH_SETTINGS');

export interface AuthSettings {
  accessTokens: AccessTokens;
  refreshTokenTtlSeconds: number;
}

// One message for unknown email, wrong password and deactivated account: nothing to enumerate.
const BAD_CREDENTIALS = 'Invalid email or password';
const BAD_REFRESH = 'Invalid or expired refresh token';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly refreshTokens: RefreshTokensService,
    @Inject(AUTH_SETTINGS) private readonly settings: AuthSettings,
  ) {}

  async login(email: string, password: string): Promise<TokenPairView> {
    const user = await this.users.findCredentials(email);
    // Unknown emails still pay for a hash check, so timing does not reveal which accounts exist.
    const valid = user ? await verifyPassword(user.passwordHash, password) : await verifyAgainstDummy(password);
    if (!user || !valid || !user.active) throw new UnauthorizedException(BAD_CREDENTIALS);
    const refreshToken = await this.refreshTokens.startFamily(user.id, this.settings.refreshTokenTtlSeconds);
    return this.pair(user.id, user.tokenVersion, refreshToken);
  }

  async refresh(token: string): Promise<TokenPairView> {
    const rotation = await this.refreshTokens.rotate(token, this.settings.refreshTokenTtlSeconds);
    if (rotation.outcome === 'rejected') throw new UnauthorizedException(BAD_REFRESH);
    const user = await this.users.findForRequest(rotation.userId);
    if (!user?.active) {
      await this.refreshTokens.revokeFamilyOf(rotation.token);
      throw new UnauthorizedException(BAD_REFRESH);
    }
    return this.pair(rotation.userId, user.tokenVersion, rotation.token);
  }

  logout(token: string): Promise<void> {
    return this.refreshTokens.revokeFamilyOf(token);
  }

  async changePassword(userId: number, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.users.findCredentialsById(userId);
    if (!user || !(await verifyPassword(user.passwordHash, currentPassword))) {
      throw new UnauthorizedException('Current password is wrong');
    }
    await this.users.changePassword(userId, newPassword);
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
