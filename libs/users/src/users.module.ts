import { Module } from '@nestjs/common';
import { AuditModule } from '@app/audit';
import { DatabaseModule } from '@app/database';
import { AdminUsersController } from './admin-users.controller';
import { UsersService } from './users.service';

/**
 * Accounts: the app_user table and its rules (registration, password hashes, roles, deactivation, the
 * token version), and the admin routes that manage them. Signing in and tokens are libs/auth, which
 * uses this module's service.
 */
@Module({
  imports: [DatabaseModule, AuditModule],
  controllers: [AdminUsersController],
  providers: [UsersService],
  exports: [UsersService],
})
export class UsersModule {}
