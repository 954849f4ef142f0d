import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { ListingWriteDto } from './listing-write.dto';

/**
 * A listing as clients see it: the contract's `Listing`, the read-only fields plus every `ListingWrite`
 * field with the same rules (inherited, so the two can never drift apart in the document).
 */
@ApiSchema({ name: 'Listing' })
export class ListingView extends ListingWriteDto {
  @ApiProperty({ type: 'integer', minimum: 0, description: 'The listing unique identifier.', example: 1234 })
  id!: number;

  @ApiProperty({ description: 'When the listing was created (RFC 3339, UTC).', example: '2026-11-20T09:12:44.518Z' })
  created_date!: string;

  @ApiProperty({ description: 'When the listing was last updated (RFC 3339, UTC).', example: '2026-11-23T16:02:10.004Z' })
  updated_date!: string;
}
