import { ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { QueryCursor, QueryInt } from '@app/common';

export const USER_PAGE_DEFAULT = 50;
export const USER_PAGE_MAX = 200;

@ApiSchema({ name: 'UserUpdate' })
export class UpdateUserDto {
  @ApiPropertyOptional({ enum: ['USER', 'ADMIN'] })
  @IsIn(['USER', 'ADMIN'])
  @IsOptional()
  role?: 'USER' | 'ADMIN';

  @ApiPropertyOptional({ description: 'false deactivates the account: no sign-in, tokens rejected.' })
  @IsBoolean()
  @IsOptional()
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
