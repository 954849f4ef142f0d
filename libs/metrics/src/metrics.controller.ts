import { Controller, Get, Header, Headers, NotFoundException, Res, UnauthorizedException } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors, AppConfig, Public } from '@app/common';
import { MetricsRegistry } from './metrics-registry';
import { MetricsToken } from './metrics-token';

/**
 * Prometheus' scrape target. @Public() because its caller has no account: the global guard lets it through, and
 * the metrics token is checked here instead. Not throttled (no rate limit applies outside the sign-in routes and
 * API keys), and its request lines are debug, like the health probes' (see isQuietRequest in libs/common: a refused scrape stays at info).
 */
@Public()
@ApiTags('metrics')
@Controller('metrics')
export class MetricsController {
  private readonly token: MetricsToken | undefined;

  constructor(
    private readonly metrics: MetricsRegistry,
    config: AppConfig,
  ) {
    this.token = config.metricsToken === undefined ? undefined : new MetricsToken(config.metricsToken);
  }

  @Get()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    operationId: 'metrics',
    summary: 'Prometheus metrics',
    description:
      'The Prometheus text exposition format, for a scraper sending `Authorization: Bearer <METRICS_TOKEN>` (that token, not an access token or ' +
      'API key). Only when the service was started with `METRICS_TOKEN`: otherwise 404, like an unknown path.',
  })
  @ApiResponse({ status: 200, description: 'Every metric of this instance.', content: { 'text/plain': { schema: { type: 'string' }, example: 'http_server_requests_in_flight 1\n' } } })
  @ApiErrors(401, 404)
  async scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    // The same answer as for a path the service does not have: nothing to scrape here.
    if (!this.token) throw new NotFoundException('Cannot GET /metrics');
    if (!this.token.admits(authorization)) {
      void reply.header('www-authenticate', 'Bearer realm="metrics"');
      throw new UnauthorizedException('Missing or wrong metrics token: send Authorization: Bearer <METRICS_TOKEN>');
    }
    const text = await this.metrics.exposition();
    void reply.header('content-type', this.metrics.contentType);
    return text;
  }
}
