export * from './database.module';
export * from './prisma.service';
export * from './pool';
export * from './database-availability';
export * from './database-errors';
export * from './sql.service';
export * from './read-replicas';
export { Prisma } from './generated/prisma/client';
export type { Listing, ListingPrice } from './generated/prisma/client';
