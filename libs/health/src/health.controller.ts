import { Controller, Get, Header, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, type HealthIndicatorFunction } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { DatabaseHealthIndicator } from './database.indicator';
import { HealthCheckFailureView, HealthCheckView, HealthComponentView } from './health.views';
import { HttpDrain } from './http-drain';
import { RedisHealthIndicator } from './redis.indicator';
import { Public } from '@app/common';

const NO_CACHE = 'no-cache, no-store, must-revalidate';

/**
 * Probes for orchestrators and load balancers. Public (they carry no token) and never rate-limited:
 * nothing here reads a request body or touches more than one `SELECT 1` and one PING.
 */
@Public()
@ApiTags('health')
@ApiExtraModels(HealthComponentView)
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: DatabaseHealthIndicator,
    private readonly redis: RedisHealthIndicator,
    private readonly drain: HttpDrain,
  ) {}

  @Get('live')
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({ operationId: 'health-live', summary: 'Liveness', description: 'The process is up and serving HTTP. Checks no dependency: restart the process only if this fails.' })
  @ApiOkResponse({ type: HealthCheckView, description: 'Alive' })
  async live(): Promise<HealthCheckView> {
    return (await this.health.check([])) as HealthCheckView;
  }

  @Get('ready')
  @Header('Cache-Control', NO_CACHE)
  @ApiOperation({
    operationId: 'health-ready',
    summary: 'Readiness',
    description:
      'Whether to send this instance traffic: the database answers, and Redis too when REDIS_URL is set (the shared rate-limit counters). ' +
      '503 naming the failing component otherwise, and from the moment shutdown begins.',
  })
  @ApiOkResponse({ type: HealthCheckView, description: 'Ready' })
  @ApiServiceUnavailableResponse({ type: HealthCheckFailureView, description: 'Not ready: a component is down (named under `error`), or the service is shutting down' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckView | HealthCheckFailureView> {
    if (this.drain.isShuttingDown) {
      void reply.status(503);
      return { status: 'shutting_down', message: 'Not ready: shutting down', info: {}, error: {}, details: {} };
    }
    const checks: HealthIndicatorFunction[] = [() => this.database.check()];
    if (this.redis.configured) checks.push(() => this.redis.check());
    try {
      return (await this.health.check(checks)) as HealthCheckView;
    } catch (error) {
      // HealthCheckService throws its 503 with the result as the response; the exception filter would
      // reduce that to a message, so the result is sent here, with a message naming what is down.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as Omit<HealthCheckFailureView, 'message'>;
      void reply.status(503);
      const down = Object.keys(result.error);
      return { status: result.status, message: `Not ready: ${down.length > 0 ? down.join(', ') : 'shutting down'}`, info: result.info, error: result.error, details: result.details };
    }
  }
}
