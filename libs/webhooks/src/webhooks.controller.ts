import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiExtraModels, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { type AuditOrigin, RequestOrigin } from '@app/audit';
import { ApiErrors, ApiIdParam, type AuthenticatedUser, CurrentUser, type Page, Paginated, ParseIdPipe, RequiresScope } from '@app/common';
import { DeliveryView, WebhookListingEvent, WebhookPingEvent, WebhookView, WebhookWithSecretView, WebhooksQuery } from './dto/webhook.view';
import { WebhookCreateDto, WebhookUpdateDto } from './dto/webhook-write.dto';
import { WebhooksService } from './webhooks.service';

const OWNED = 'Only its owner (or an admin) sees it: anyone else gets 404.';

@ApiTags('webhooks')
// The bodies POSTed to subscribers: in the document's schemas (WebhookListingEvent, WebhookPingEvent) for receivers to read.
@ApiExtraModels(WebhookListingEvent, WebhookPingEvent)
@Controller('webhooks')
// Every webhook route, reads included: a subscription's URL, filter and delivery log are the account's own.
@RequiresScope('webhooks:manage')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    operationId: 'create-webhook',
    summary: 'Subscribe a URL to listing events',
    description:
      'Deliveries follow Standard Webhooks v1 (webhook-id, webhook-timestamp, webhook-signature). The response carries the signing `secret`: it is never shown again. ' +
      'At most WEBHOOK_MAX_PER_ACCOUNT (25) subscriptions per account (409 beyond). The bodies delivered are the WebhookListingEvent and WebhookPingEvent schemas.',
  })
  @ApiCreatedResponse({ type: WebhookWithSecretView })
  @ApiErrors(401, 409, 422)
  create(@CurrentUser() caller: AuthenticatedUser, @Body() body: WebhookCreateDto, @RequestOrigin() origin: AuditOrigin): Promise<WebhookWithSecretView> {
    return this.webhooks.create(body, caller, origin);
  }

  @Get()
  @ApiOperation({ operationId: 'list-webhooks', summary: 'Your webhook subscriptions', description: 'By ascending id, paginated by key. Admins see every account\'s.' })
  @ApiOkResponse({ type: [WebhookView] })
  @ApiErrors(400, 401)
  @Paginated()
  list(@CurrentUser() caller: AuthenticatedUser, @Query() query: WebhooksQuery): Promise<Page<WebhookView>> {
    return this.webhooks.list(query, caller);
  }

  @Get(':id')
  @ApiIdParam('The subscription id.')
  @ApiOperation({ operationId: 'get-webhook', summary: 'One webhook subscription', description: OWNED })
  @ApiOkResponse({ type: WebhookView })
  @ApiErrors(401, 404)
  get(@CurrentUser() caller: AuthenticatedUser, @Param('id', ParseIdPipe) id: number): Promise<WebhookView> {
    return this.webhooks.get(id, caller);
  }

  @Patch(':id')
  @ApiIdParam('The subscription id.')
  @ApiOperation({ operationId: 'update-webhook', summary: 'Change a webhook subscription', description: `The fields given are replaced; \`"active": true\` re-enables a disabled one. ${OWNED}` })
  @ApiOkResponse({ type: WebhookView })
  @ApiErrors(401, 404, 422)
  update(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() body: WebhookUpdateDto,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<WebhookView> {
    return this.webhooks.update(id, body, caller, origin);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiIdParam('The subscription id.')
  @ApiOperation({ operationId: 'delete-webhook', summary: 'Delete a webhook subscription', description: `With its delivery log. ${OWNED}` })
  @ApiNoContentResponse({ description: 'Deleted.' })
  @ApiErrors(401, 404)
  async delete(@CurrentUser() caller: AuthenticatedUser, @Param('id', ParseIdPipe) id: number, @RequestOrigin() origin: AuditOrigin): Promise<void> {
    await this.webhooks.delete(id, caller, origin);
  }

  @Post(':id/secret')
  @HttpCode(200)
  @ApiIdParam('The subscription id.')
  @ApiOperation({
    operationId: 'rotate-webhook-secret',
    summary: 'Rotate the signing secret',
    description: 'The response carries the new secret. Until `previous_secret_expires_date` (WEBHOOK_SECRET_OVERLAP_SECONDS) every delivery is signed with both, space-separated in webhook-signature.',
  })
  @ApiOkResponse({ type: WebhookWithSecretView })
  @ApiErrors(401, 404)
  rotateSecret(@CurrentUser() caller: AuthenticatedUser, @Param('id', ParseIdPipe) id: number, @RequestOrigin() origin: AuditOrigin): Promise<WebhookWithSecretView> {
    return this.webhooks.rotateSecret(id, caller, origin);
  }

  @Get(':id/deliveries')
  @ApiIdParam('The subscription id.')
  @ApiOperation({ operationId: 'list-webhook-deliveries', summary: 'The delivery log', description: `Newest first, paginated by key. ${OWNED}` })
  @ApiOkResponse({ type: [DeliveryView] })
  @ApiErrors(400, 401, 404)
  @Paginated()
  deliveries(@CurrentUser() caller: AuthenticatedUser, @Param('id', ParseIdPipe) id: number, @Query() query: WebhooksQuery): Promise<Page<DeliveryView>> {
    return this.webhooks.deliveries(id, query, caller);
  }

  @Post(':id/deliveries/:delivery_id/retry')
  @HttpCode(202)
  @ApiIdParam('The subscription id.')
  @ApiParam({ name: 'delivery_id', description: 'The delivery id.', schema: { type: 'integer', minimum: 1 } })
  @ApiOperation({ operationId: 'retry-webhook-delivery', summary: 'Send a delivery again now', description: 'With the same webhook-id. 409 when the subscription is inactive.' })
  @ApiAcceptedResponse({ type: DeliveryView })
  @ApiErrors(401, 404, 409)
  retry(@CurrentUser() caller: AuthenticatedUser, @Param('id', ParseIdPipe) id: number, @Param('delivery_id', ParseIdPipe) deliveryId: number): Promise<DeliveryView> {
    return this.webhooks.retry(id, deliveryId, caller);
  }

  @Post(':id/ping')
  @HttpCode(202)
  @ApiIdParam('The subscription id.')
  @ApiOperation({ operationId: 'ping-webhook', summary: 'Deliver a webhook.ping event', description: 'To check the endpoint and its signature verification. 409 when the subscription is inactive.' })
  @ApiAcceptedResponse({ type: DeliveryView })
  @ApiErrors(401, 404, 409)
  ping(@CurrentUser() caller: AuthenticatedUser, @Param('id', ParseIdPipe) id: number): Promise<DeliveryView> {
    return this.webhooks.ping(id, caller);
  }
}
