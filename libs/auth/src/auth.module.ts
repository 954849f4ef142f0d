import { DynamicModule, Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '@app/common';
import { AUTH_SETTINGS, AuthService, AuthSettings } from './auth.service';
import { AuthController } from './auth.controller';
import { ApiKeyAuthentication } from './api-keys/api-key-authentication';
import { AdminApiKeysController, ApiKeysController } from './api-keys/api-keys.controller';
import { ApiKeysService } from './api-keys/api-keys.service';
import { authThrottlers } from './guards/auth-throttler.guard';
import { RateLimitMetrics } from './rate-limits/rate-limit-metrics';
import { RedisThrottlerStorage } from './rate-limits/redis-throttler-storage';
import { JwtStrategy } from './strategies/jwt.strategy';
import { AccessTokens } from './tokens/access-tokens';
import { resolveJwtSecret } from './tokens/jwt-secret';
import { RefreshTokensService } from './tokens/refresh-tokens.service';
import { AuditModule } from '@app/audit';
import { DatabaseModule } from '@app/database';
import { MetricsModule } from '@app/metrics';
import { UsersModule } from '@app/users';

@Module({})
export class AuthModule {
  /** Settings come from the global AppConfig (AppConfigModule). */
  static forRoot(): DynamicModule {
    return {
      module: AuthModule,
      imports: [
        // Stateless bearer tokens: no sessions, request.user is set per request by JwtStrategy.
        PassportModule.register({ session: false }),
        DatabaseModule,
        AuditModule,
        UsersModule,
        MetricsModule,
        // With REDIS_URL the counters live in Redis, so every instance behind the load balancer
        // counts against one limit; without it, in this process' memory (right for one instance).
        ThrottlerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: async ({ auth, redisUrl, redisKeyPrefix }: AppConfig) => {
            return {
              // Closed by its onApplicationShutdown: it becomes the ThrottlerStorage provider's instance.
              storage: redisUrl ? await RedisThrottlerStorage.connect(redisUrl, redisKeyPrefix) : undefined,
              errorMessage: 'Too many attempts: wait before retrying',
              // Per client IP, per (account, client IP) and per account from all addresses: see authThrottlers.
              throttlers: authThrottlers(auth),
            };
          },
        }),
      ],
      controllers: [AuthController, ApiKeysController, AdminApiKeysController],
      providers: [
        {
          provide: AUTH_SETTINGS,
          inject: [AppConfig],
          useFactory: (config: AppConfig): AuthSettings => {
            return {
              // The key is built once here (see AccessTokens), never per request.
              accessTokens: new AccessTokens(resolveJwtSecret(config), config.auth.accessTokenTtlSeconds),
              refreshTokenTtlSeconds: config.auth.refreshTokenTtlSeconds,
              adminEmail: config.auth.adminEmail?.trim().toLowerCase(),
            };
          },
        },
        JwtStrategy,
        AuthService,
        RefreshTokensService,
        ApiKeysService,
        ApiKeyAuthentication,
        RateLimitMetrics,
      ],
      // What the global guards (registered in AppModule with every other global provider) need.
      exports: [AUTH_SETTINGS, UsersModule, ApiKeyAuthentication],
    };
  }
}
