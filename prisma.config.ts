import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { createMigrationAdapter } from './libs/dev-database/src/migration-adapter';

// The JavaScript schema engine talks to Postgres through a driver adapter, so `prisma migrate`
// needs no native engine download (see libs/dev-database/src/migration-adapter.ts).
export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: () => {
    const url = process.env.DATABASE_URL;
    if (!url) {
      return Promise.reject(new Error('DATABASE_URL must be set for prisma migrate (npm start sets it for the embedded database)'));
    }
    return Promise.resolve(createMigrationAdapter(url));
  },
});
