import { Body, Controller, Get, Param, Patch, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuditOrigin, RequestOrigin } from '@app/audit';
import { ApiErrors, ApiIdParam, type AuthenticatedUser, CurrentUser, type Page, Paginated, ParseIdPipe, RequiresScope, Roles } from '@app/common';
import { UpdateUserDto, UsersQuery } from './dto/admin.dto';
import { AdminUserView } from './dto/user.view';
import { UsersService } from './users.service';

@ApiTags('admin')
@Controller('admin/users')
@Roles('ADMIN')
@RequiresScope('admin')
export class AdminUsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @ApiOperation({ operationId: 'admin-list-users', summary: 'List accounts', description: 'By ascending id, paginated by key.' })
  @ApiOkResponse({ type: [AdminUserView] })
  @Paginated()
  list(@Query() query: UsersQuery): Promise<Page<AdminUserView>> {
    return this.users.list(query);
  }

  @Patch(':id')
  @ApiIdParam('The account id.')
  @ApiOperation({ operationId: 'admin-update-user', summary: 'Change an account\'s role or deactivate it', description: 'Takes effect on the account\'s next request: its earlier tokens stop working.' })
  @ApiOkResponse({ type: AdminUserView })
  @ApiErrors(404, 409)
  update(
    @CurrentUser() caller: AuthenticatedUser,
    @Param('id', ParseIdPipe) id: number,
    @Body() body: UpdateUserDto,
    @RequestOrigin() origin: AuditOrigin,
  ): Promise<AdminUserView> {
    return this.users.update(caller, id, body, origin);
  }
}
