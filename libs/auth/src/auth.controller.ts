import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { type AuditOrigin, RequestOrigin } from '@app/audit';
import { AnyApiKey, ApiErrors, type AuthenticatedUser, CurrentUser, NoApiKeys, Public } from '@app/common';
import { AuthService } from './auth.service';
import { ChangePasswordDto, CredentialsDto, RefreshTokenDto } from './dto/credentials.dto';
import { TokenPairView } from './dto/token-pair.view';
import { AuthThrottlerGuard } from './guards/auth-throttler.guard';
import { UserView, UsersService } from '@app/users';

const NOT_THROTTLED = { default: true, account: true, 'account-ceiling': true };

@ApiTags('auth')
@Controller('auth')
@UseGuards(AuthThrottlerGuard)
// Signing in, tokens and the password are the account's own business: never an API key's (GET /auth/me aside).
@NoApiKeys()
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Public()
  @Post('register')
  @HttpCode(201)
  @ApiOperation({ operationId: 'register', summary: 'Create an account', description: 'Emails are case-insensitive. Passwords: 8 to 256 characters.' })
  @ApiBody({ type: CredentialsDto, examples: { alice: { value: { email: 'alice@example.com', password: 'correct horse battery staple' } } } })
  @ApiCreatedResponse({ type: UserView })
  @ApiErrors(409, 429)
  register(@Body() body: CredentialsDto, @RequestOrigin() origin: AuditOrigin): Promise<UserView> {
    return this.auth.register(body.email, body.password, origin);
  }

  @Public()
  @Post('login')
  @HttpCode(200)
  @ApiOperation({ operationId: 'login', summary: 'Sign in', description: 'Returns a bearer access token (15 minutes) and a single-use refresh token.' })
  @ApiBody({ type: CredentialsDto, examples: { alice: { value: { email: 'alice@example.com', password: 'correct horse battery staple' } } } })
  @ApiOkResponse({ type: TokenPairView })
  @ApiErrors(401, 429)
  login(@Body() body: CredentialsDto, @RequestOrigin() origin: AuditOrigin): Promise<TokenPairView> {
    return this.auth.login(body.email, body.password, origin);
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ operationId: 'refresh', summary: 'Trade a refresh token for a new token pair', description: 'Each refresh token works once; presenting a used one revokes every token of that sign-in.' })
  @ApiOkResponse({ type: TokenPairView })
  @ApiErrors(401, 429)
  refresh(@Body() body: RefreshTokenDto): Promise<TokenPairView> {
    return this.auth.refresh(body.refresh_token);
  }

  // Public: the refresh token in the body is the credential, and an expired access token must not
  // prevent signing out.
  @Public()
  @SkipThrottle(NOT_THROTTLED)
  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ operationId: 'logout', summary: 'Sign out', description: 'Revokes the refresh tokens of this sign-in. Access tokens expire on their own.' })
  @ApiNoContentResponse({ description: 'Signed out' })
  async logout(@Body() body: RefreshTokenDto): Promise<void> {
    await this.auth.logout(body.refresh_token);
  }

  @SkipThrottle(NOT_THROTTLED)
  @Post('logout-all')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'logout-all',
    summary: 'Sign out everywhere',
    description: 'Every access and refresh token of the account stops working, this request\'s access token included.',
  })
  @ApiNoContentResponse({ description: 'Signed out of every session' })
  async logoutEverywhere(@CurrentUser() caller: AuthenticatedUser): Promise<void> {
    await this.auth.logoutEverywhere(caller.id);
  }

  // Any key may ask who it acts as.
  @AnyApiKey()
  @SkipThrottle(NOT_THROTTLED)
  @Get('me')
  @ApiOperation({ operationId: 'get-me', summary: 'The signed-in account' })
  @ApiOkResponse({ type: UserView })
  me(@CurrentUser() caller: AuthenticatedUser): Promise<UserView> {
    return this.users.me(caller.id);
  }

  @Post('me/password')
  @HttpCode(204)
  @ApiOperation({ operationId: 'change-password', summary: 'Change the password', description: 'Every earlier access and refresh token stops working.' })
  @ApiNoContentResponse({ description: 'Password changed' })
  async changePassword(@CurrentUser() caller: AuthenticatedUser, @Body() body: ChangePasswordDto, @RequestOrigin() origin: AuditOrigin): Promise<void> {
    await this.auth.changePassword(caller, body.current_password, body.new_password, origin);
  }
}
