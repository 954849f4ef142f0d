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
