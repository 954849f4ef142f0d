import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { AuthService } from './auth.service';
import type { AuthenticatedUser } from './authenticated-user';
import { CurrentUser, Public } from './decorators';
import { ChangePasswordDto, CredentialsDto, RefreshTokenDto } from './dto/credentials.dto';
import { TokenPairView, UserView } from './dto/user.view';
import { AuthThrottlerGuard } from './guards/auth-throttler.guard';
import { UsersService } from './users/users.service';

const NOT_THROTTLED = { default: true, account: true };

@Controller('auth')
@UseGuards(AuthThrottlerGuard)
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @Post('register')
  @HttpCode(201)
  register(@Body() body: CredentialsDto): Promise<UserView> {
    return this.users.register(body.email, body.password);
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  login(@Body() body: CredentialsDto): Promise<TokenPairView> {
    return this.auth.login(body.email, body.password);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  refresh(@Body() body: RefreshTokenDto): Promise<TokenPairView> {
    return this.auth.refresh(body.refresh_token);
  }

  // Public: the refresh token in the body is the credential, and an expired access token must not
  // prevent signing out.
  @Public()
  @SkipThrottle(NOT_THROTTLED)
  @Post('logout')
  @HttpCode(204)
  async logout(@Body() body: RefreshTokenDto): Promise<void> {
    await this.auth.logout(body.refresh_token);
  }

  @SkipThrottle(NOT_THROTTLED)
  @Get('me')
  me(@CurrentUser() caller: AuthenticatedUser): Promise<UserView> {
    return this.users.me(caller.id);
  }

  @Post('me/password')
  @HttpCode(204)
  async changePassword(@CurrentUser() caller: AuthenticatedUser, @Body() body: ChangePasswordDto): Promise<void> {
    await this.auth.changePassword(caller.id, body.current_password, body.new_password);
  }
}
