import { ApiProperty, ApiSchema } from '@nestjs/swagger';

/** One entry of a listing's price history, as the contract's `Price` schema. */
@ApiSchema({ name: 'Price' })
export class PriceEntryView {
  @ApiProperty({ type: 'integer', description: 'A price, expressed in euros.', example: 340000 })
  price_eur!: number;

  @ApiProperty({ description: 'When the listing got this price (RFC 3339, UTC).', example: '2026-11-23T10:15:30.123Z' })
  created_date!: string;
}
