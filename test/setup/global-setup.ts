import { createTestDatabase } from './test-database';

/** One database per `npm test` run, shared by the e2e files (each test creates the rows it reads). */
export default async function globalSetup(): Promise<void> {
  const database = await createTestDatabase();
  // Workers are started after this and inherit the environment.
  process.env.TEST_DATABASE_URL = database.url;
  (globalThis as { __testDatabase?: typeof database }).__testDatabase = database;
}
