import { ApiProperty, ApiSchema } from '@nestjs/swagger';

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
