export * from './database.module';
export * from './prisma.service';
export * from './pool';
export * from './sql.service';
export * from './database-url';
export * from './embedded-postgres';
export * from './migrations';
export { Prisma } from './generated/prisma/client';
export type { Listing, ListingPrice } from './generated/prisma/client';
