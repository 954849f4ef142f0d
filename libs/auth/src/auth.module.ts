import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AuthConfig } from '@app/common';
import { AdminUsersController } from './admin-users.controller';
import { AUTH_SETTINGS, AuthService, AuthSettings } from './auth.service';
import { AuthController } from './auth.controller';
import { ACCOUNT_THROTTLER, IP_THROTTLER, accountKey } from './guards/auth-throttler.guard';
import { AuthGuard } from './guards/auth.guard';
import { RolesGuard } from './guards/roles.guard';
import { AccessTokens } from './tokens/access-tokens';
import { RefreshTokensService } from './tokens/refresh-tokens.service';
import { UsersService } from './users/users.service';

const MINUTE_MS = 60_000;

@Module({})
export class AuthModule {
  static forRoot(config: AuthConfig, jwtSecret: string): DynamicModule {
    const settings: AuthSettings = {
      accessTokens: new AccessTokens(jwtSecret, config.accessTokenTtlSeconds),
      refreshTokenTtlSeconds: config.refreshTokenTtlSeconds,
    };
    return {
      module: AuthModule,
      imports: [
        // In-memory buckets: right for one process. Several instances behind a load balancer would
        // share them through a store such as Redis.
        ThrottlerModule.forRoot({
          errorMessage: 'Too many attempts: wait before retrying',
          throttlers: [
            { name: IP_THROTTLER, ttl: MINUTE_MS, limit: config.rateLimitPerIp },
            { name: ACCOUNT_THROTTLER, ttl: MINUTE_MS, limit: config.rateLimitPerAccount, getTracker: (req) => accountKey(req as FastifyRequest) },
          ],
        }),
      ],
      controllers: [AuthController, AdminUsersController],
      providers: [
        { provide: AUTH_SETTINGS, useValue: settings },
        AuthService,
        UsersService,
        RefreshTokensService,
        // Order matters: who the caller is (AuthGuard) before what they may do (RolesGuard).
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: RolesGuard },
      ],
      exports: [UsersService],
    };
  }
}
