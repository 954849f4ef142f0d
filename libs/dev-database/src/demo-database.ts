import path from 'node:path';
import { Logger } from '@nestjs/common';
import { PrismaService } from '@app/database';
import { seedDemoListings } from './demo-seed';
import { startEmbeddedPostgres } from './embedded-postgres';
import { applyMigrations } from './migrations';

export interface DemoDatabase {
  /** postgres:// URL of the migrated, seeded `listings` database. */
  url: string;
  stop(): Promise<void>;
}

const logger = new Logger('Database');

/**
 * The database of `npm start` without DATABASE_URL: an embedded PostgreSQL with its data under
 * `dataDir`/postgres, migrated and seeded with the demo listings, so a fresh machine needs nothing
 * installed. Failures the user has to act on are EmbeddedPostgresErrors (one line, the way out).
 */
export async function startDemoDatabase(dataDir: string): Promise<DemoDatabase> {
  const started = Date.now();
  const server = await startEmbeddedPostgres(path.join(dataDir, 'postgres'), 'listings');
  try {
    await applyMigrations(server.url);
    const prisma = PrismaService.standalone({ url: server.url, poolSize: 2 });
    try {
      const seeded = await seedDemoListings(prisma);
      if (seeded > 0) logger.log(`Seeded ${seeded} demo listings`);
    } finally {
      await prisma.$disconnect();
    }
  } catch (error) {
    await server.stop();
    throw error;
  }
  logger.log(`Embedded PostgreSQL ready in ${Date.now() - started} ms (data in ${path.resolve(dataDir, 'postgres')})`);
  return { url: server.url, stop: () => server.stop() };
}
