export * from './users.module';
export * from './users.service';
export * from './first-admin';
export * from './passwords';
export * from './dto/user.view';
