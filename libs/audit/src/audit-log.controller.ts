import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type Page, Paginated, RequiresScope, Roles } from '@app/common';
import { AuditLogQuery } from './dto/audit-log.query';
import { AuditEntryView } from './dto/audit-entry.view';
import { AuditLog } from './audit-log.service';

@ApiTags('admin')
@Controller('admin/audit-log')
@Roles('ADMIN')
@RequiresScope('admin')
export class AuditLogController {
  constructor(private readonly auditLog: AuditLog) {}

  @Get()
  @ApiOperation({
    operationId: 'admin-audit-log',
    summary: 'The audit log',
    description:
      'Every change made through the API, newest first, paginated by key (follow the Link header). Filters combine with AND. ' +
      'Entries are kept AUDIT_RETENTION_DAYS (365) days and cannot be changed or deleted otherwise.',
  })
  @ApiOkResponse({ type: [AuditEntryView] })
  @Paginated()
  list(@Query() query: AuditLogQuery): Promise<Page<AuditEntryView>> {
    return this.auditLog.list(query);
  }
}
