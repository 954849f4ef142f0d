import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsString } from 'class-validator';
import { MaxLength, MinLength } from '@app/common';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@app/users';

const normaliseEmail = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value);

@ApiSchema({ name: 'Credentials' })
export class CredentialsDto {
  @ApiProperty({ format: 'email', maxLength: 254, example: 'alice@example.com' })
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  @IsString()
  @Transform(normaliseEmail)
  email!: string;

  // Longer passwords are rejected, never silently truncated.
  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH, example: 'correct horse battery staple' })
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  @IsString()
  password!: string;
}

@ApiSchema({ name: 'RefreshTokenRequest' })
export class RefreshTokenDto {
  @ApiProperty({ description: 'The refresh_token from the last login or refresh.', minLength: 1, maxLength: 200 })
  @MaxLength(200)
  @MinLength(1)
  @IsString()
  refresh_token!: string;
}

@ApiSchema({ name: 'PasswordChange' })
export class ChangePasswordDto {
  @ApiProperty({ maxLength: PASSWORD_MAX_LENGTH })
  @MaxLength(PASSWORD_MAX_LENGTH)
  @IsString()
  current_password!: string;

  @ApiProperty({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH })
  @MinLength(PASSWORD_MIN_LENGTH)
  @MaxLength(PASSWORD_MAX_LENGTH)
  @IsString()
  new_password!: string;
}
