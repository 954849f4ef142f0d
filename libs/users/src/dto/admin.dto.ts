import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsBoolean, IsIn, ValidateIf } from 'class-validator';
import { QueryCursor, QueryInt } from '@app/common';

export const USER_PAGE_DEFAULT = 50;

// Optional means absent: an explicit null is a wrong type, not "leave it as it is".
const isPresent = (_dto: object, value: unknown) => value !== undefined;
export const USER_PAGE_MAX = 200;

@ApiSchema({ name: 'UserUpdate' })
export class UpdateUserDto {
  @ApiPropertyOptional({ enum: ['USER', 'ADMIN'] })
  @IsIn(['USER', 'ADMIN'])
  @ValidateIf(isPresent)
  role?: 'USER' | 'ADMIN';

  @ApiPropertyOptional({ description: 'false deactivates the account: no sign-in, tokens rejected.' })
  @IsBoolean()
  @ValidateIf(isPresent)
  active?: boolean;
}

export class UsersQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: USER_PAGE_MAX, default: USER_PAGE_DEFAULT })
  @QueryInt(1, USER_PAGE_MAX)
  limit?: number;

  @ApiPropertyOptional({ description: 'Opaque cursor from the `Link: <...>; rel="next"` header of the previous page.' })
  @QueryCursor()
  cursor?: string;
}
