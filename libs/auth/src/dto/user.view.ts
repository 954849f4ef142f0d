import { ApiProperty, ApiSchema } from '@nestjs/swagger';

@ApiSchema({ name: 'User' })
export class UserView {
  @ApiProperty({ type: 'integer', example: 7 })
  id!: number;
  @ApiProperty({ example: 'alice@example.com' })
  email!: string;
  @ApiProperty({ enum: ['USER', 'ADMIN'] })
  role!: 'USER' | 'ADMIN';
  @ApiProperty({ example: '2026-11-23T10:15:30.123Z' })
  created_date!: string;
}

@ApiSchema({ name: 'AdminUser' })
export class AdminUserView extends UserView {
  @ApiProperty({ description: 'Deactivated accounts cannot sign in, and their tokens stop working.' })
  active!: boolean;
}

@ApiSchema({ name: 'TokenPair' })
export class TokenPairView {
  @ApiProperty({ description: 'JWT to send as `Authorization: Bearer <access_token>`.' })
  access_token!: string;
  @ApiProperty({ enum: ['Bearer'] })
  token_type!: 'Bearer';
  @ApiProperty({ type: 'integer', description: 'Seconds until the access token expires.', example: 900 })
  expires_in!: number;
  @ApiProperty({ description: 'Opaque, single-use: exchange it at POST /auth/refresh for a new pair.' })
  refresh_token!: string;
}
