import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuditOrigin, RequestOrigin } from '@app/audit';
import { ApiErrors, ApiIdParam, type AuthenticatedUser, CurrentUser, NoApiKeys, type Page, Paginated, ParseIdPipe, Roles } from '@app/common';
import { ApiKeysService, MAX_KEYS_PER_ACCOUNT } from './api-keys.service';
import { ApiKeyCreateDto, ApiKeysQuery } from './dto/api-key.dto';
import { ApiKeyView, ApiKeyWithSecretView } from './dto/api-key.view';

const USE =
  'Send it as `Authorization: Bearer lak_…` on any route: it acts as its owner with at most its scopes (403 naming the missing scope beyond them). ' +
  'Keys never manage the account: creating, listing and revoking keys needs an access token.';

/** The caller's own API keys. Managed with an access token only: a key never makes, lists or revokes keys. */
@ApiTags('auth')
@Controller('auth/api-keys')
@NoApiKeys()
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'create-api-key',
    summary: 'Create an API key for a program',
    description:
      `The response carries the \`key\`: it is never shown again (only its hash is kept). ${USE} ` +
      `Expires after \`expires_in_days\` (1 to 365, default 90); \`null\` (never) and the \`admin\` scope are for admins' keys only. ` +
      `At most ${MAX_KEYS_PER_ACCOUNT} keys in use (neither revoked nor expired) per account: 409 beyond.`,
  })
  @ApiCreatedResponse({ type: ApiKeyWithSecretView })
  @ApiErrors(409, 422)
  create(@CurrentUser() caller: AuthenticatedUser, @Body() body: ApiKeyCreateDto, @RequestOrigin() origin: AuditOrigin): Promise<ApiKeyWithSecretView> {
    return this.apiKeys.create(body, caller, origin);
  }

  @Get()
  @ApiOperation({ operationId: 'list-api-keys', summary: 'Your API keys', description: 'Never the keys themselves. Revoked keys are not listed; expired ones are. By ascending id, paginated by key.' })
  @ApiOkResponse({ type: [ApiKeyView] })
  @ApiErrors(400)
  @Paginated()
  list(@CurrentUser() caller: AuthenticatedUser, @Query() query: ApiKeysQuery): Promise<Page<ApiKeyView>> {
    return this.apiKeys.listOwn(query, caller);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiIdParam('The API key id.')
  @ApiOperation({ operationId: 'revoke-api-key', summary: 'Revoke an API key', description: 'Refused (401) from the next request on, on every instance. Another account\'s key is a 404.' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiErrors(404)
  async revoke(@CurrentUser() caller: AuthenticatedUser, @Param('id', ParseIdPipe) id: number, @RequestOrigin() origin: AuditOrigin): Promise<void> {
    await this.apiKeys.revokeOwn(id, caller, origin);
  }
}

/** Admins: any account's API keys (with an access token: no key, not even an admin one, manages keys). */
@ApiTags('admin')
@Controller('admin')
@Roles('ADMIN')
@NoApiKeys()
export class AdminApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get('users/:id/api-keys')
  @ApiIdParam('The account id.')
  @ApiOperation({ operationId: 'admin-list-api-keys', summary: 'An account\'s API keys', description: 'As its owner sees them (never the keys themselves), paginated by key.' })
  @ApiOkResponse({ type: [ApiKeyView] })
  @ApiErrors(404)
  @Paginated()
  list(@Param('id', ParseIdPipe) ownerId: number, @Query() query: ApiKeysQuery): Promise<Page<ApiKeyView>> {
    return this.apiKeys.listOf(ownerId, query);
  }

  @Delete('api-keys/:id')
  @HttpCode(204)
  @ApiIdParam('The API key id.')
  @ApiOperation({ operationId: 'admin-revoke-api-key', summary: 'Revoke any account\'s API key', description: 'Refused (401) from the next request on, on every instance.' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiErrors(404)
  async revoke(@CurrentUser() caller: AuthenticatedUser, @Param('id', ParseIdPipe) id: number, @RequestOrigin() origin: AuditOrigin): Promise<void> {
    await this.apiKeys.revokeAny(id, caller, origin);
  }
}
