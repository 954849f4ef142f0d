import { Body, Controller, Get, Param, Patch, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ParseIdPipe, sendPage } from '@app/common';
import type { AuthenticatedUser } from './authenticated-user';
import { CurrentUser, Roles } from './decorators';
import { UpdateUserDto, UsersQuery } from './dto/admin.dto';
import { AdminUserView } from './dto/user.view';
import { UsersService } from './users/users.service';

@Controller('admin/users')
@Roles('ADMIN')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  async list(@Query() query: UsersQuery, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<AdminUserView[]> {
    return sendPage(request, reply, await this.users.list(query));
  }

  @Patch(':id')
  update(@CurrentUser() caller: AuthenticatedUser, @Param('id', ParseIdPipe) id: number, @Body() body: UpdateUserDto): Promise<AdminUserView> {
    return this.users.update(caller, id, body);
  }
}
