import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { MaxLength, MinLength } from '@app/common';
import { NoNulCharacters } from './text-rules';

@ApiSchema({ name: 'PostalAddress' })
export class PostalAddressDto {
  @ApiProperty({ description: 'The street address of the postal address.', example: '48, boulevard des capucins', minLength: 1, maxLength: 255 })
  @MinLength(1)
  @MaxLength(255)
  @NoNulCharacters()
  @IsString()
  street_address!: string;

  @ApiProperty({ description: 'The postal code of the postal address.', example: '75009', minLength: 1, maxLength: 20 })
  @MinLength(1)
  @MaxLength(20)
  @NoNulCharacters()
  @IsString()
  postal_code!: string;

  @ApiProperty({ description: 'The city of the postal address.', example: 'Paris', minLength: 1, maxLength: 120 })
  @MinLength(1)
  @MaxLength(120)
  @NoNulCharacters()
  @IsString()
  city!: string;

  @ApiProperty({ description: 'ISO 3166-1 alpha-2 country code, upper case.', example: 'FR', minLength: 2, maxLength: 2, pattern: '^[A-Z]{2}$' })
  @IsString()
  @Matches(/^[A-Z]{2}$/, { message: 'country must be an ISO 3166-1 alpha-2 code in upper case, like FR' })
  country!: string;
}
