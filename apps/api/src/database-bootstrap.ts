import path from 'node:path';
import { Logger } from '@nestjs/common';
import { AppConfig } from '@app/common';
import { PrismaService, applyMigrations, startEmbeddedPostgres } from '@app/database';
import { seedDemoListings } from '../../../prisma/seed';

export interface PreparedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

const logger = new Logger('Database');

/**
 * With DATABASE_URL: that server, as it is (apply migrations with `npm run db:migrate`).
 * Without: an embedded PostgreSQL under DATA_DIR, migrated and seeded with the demo listings, so a
 * fresh machine needs nothing installed.
 */
export async function prepareDatabase(config: AppConfig): Promise<PreparedDatabase> {
  if (config.databaseUrl) return { url: config.databaseUrl, embedded: false, stop: () => Promise.resolve() };

  const started = Date.now();
  const server = await startEmbeddedPostgres(path.join(config.dataDir, 'postgres'), 'listings');
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
  logger.log(`Embedded PostgreSQL ready in ${Date.now() - started} ms (data in ${path.resolve(config.dataDir, 'postgres')})`);
  return { url: server.url, embedded: true, stop: () => server.stop() };
}
