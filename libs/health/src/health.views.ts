import { ApiProperty, ApiPropertyOptional, ApiSchema, getSchemaPath } from '@nestjs/swagger';

@ApiSchema({ name: 'HealthComponent', description: 'One dependency the service needs: the database, Redis (when REDIS_URL is set).' })
export class HealthComponentView {
  @ApiProperty({ enum: ['up', 'degraded', 'down'], example: 'up' })
  status!: 'up' | 'degraded' | 'down';
  @ApiPropertyOptional({ description: 'Why it is not up (no host names or credentials).', example: 'unavailable: ECONNREFUSED' })
  message?: string;
}

/** `info`, `error` and `details` map a component name (`database`, `redis`) to its state, as @nestjs/terminus reports them. */
const COMPONENTS = { type: 'object', additionalProperties: { $ref: getSchemaPath(HealthComponentView) } } as const;

@ApiSchema({ name: 'HealthCheck', description: 'Every component the check covers answered (`degraded`: serving, but a non-essential one is impaired).' })
export class HealthCheckView {
  @ApiProperty({ enum: ['ok', 'degraded'], example: 'ok' })
  status!: 'ok' | 'degraded';
  @ApiProperty({ ...COMPONENTS, description: 'The components that are up or degraded.', example: { database: { status: 'up' } } })
  info!: Record<string, HealthComponentView>;
  @ApiProperty({ ...COMPONENTS, description: 'The components that are down (none here).', example: {} })
  error!: Record<string, HealthComponentView>;
  @ApiProperty({ ...COMPONENTS, description: 'Every component checked.', example: { database: { status: 'up' } } })
  details!: Record<string, HealthComponentView>;
}

@ApiSchema({ name: 'HealthCheckFailure', description: 'Not ready: the components that are down are under `error`; or the service is shutting down.' })
export class HealthCheckFailureView {
  @ApiProperty({ enum: ['error', 'shutting_down'], example: 'error' })
  status!: 'error' | 'shutting_down';
  @ApiProperty({ example: 'Not ready: database' })
  message!: string;
  @ApiProperty({ ...COMPONENTS, description: 'The components that are up or degraded.', example: {} })
  info!: Record<string, HealthComponentView>;
  @ApiProperty({ ...COMPONENTS, description: 'The components that are down.', example: { database: { status: 'down', message: 'unavailable: ECONNREFUSED' } } })
  error!: Record<string, HealthComponentView>;
  @ApiProperty({ ...COMPONENTS, description: 'Every component checked.', example: { database: { status: 'down', message: 'unavailable: ECONNREFUSED' } } })
  details!: Record<string, HealthComponentView>;
}
