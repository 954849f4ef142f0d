import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { API_KEY_SCOPES, type ApiKeyScope } from '@app/common';

/** A key as the API shows it: never the key itself (only once, at creation), which the service does not keep. */
@ApiSchema({ name: 'ApiKey' })
export class ApiKeyView {
  @ApiProperty({ type: 'integer', example: 3 })
  id!: number;

  @ApiProperty({ example: 'CRM sync' })
  name!: string;

  @ApiProperty({ type: [String], enum: API_KEY_SCOPES, example: ['listings:write'] })
  scopes!: ApiKeyScope[];

  @ApiProperty({ description: 'The key\'s first 12 characters, to tell keys apart.', example: 'lak_Zt0q8Xb1' })
  prefix!: string;

  @ApiProperty({ example: '2026-12-03T10:00:00.000Z' })
  created_date!: string;

  @ApiProperty({ type: String, nullable: true, description: 'When the key stops working; null: never.', example: '2027-03-03T10:00:00.000Z' })
  expires_date!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'When the key was last used, to the minute (recorded at most once a minute); null: never used.', example: null })
  last_used_date!: string | null;
}

@ApiSchema({ name: 'ApiKeyWithSecret' })
export class ApiKeyWithSecretView extends ApiKeyView {
  @ApiProperty({
    description: 'The key (`lak_` + 32 random bytes, base64url): shown here and never again. Send it as `Authorization: Bearer lak_…`.',
    example: 'lak_Zt0q8Xb1nM3vJ2fKpL9sQ4wR7yT6uE5aD1cB8gH0iOx',
  })
  key!: string;
}
