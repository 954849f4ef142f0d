import { createTestDatabase } from './test-database';

/**
 * One database per `npm test` run, shared by the e2e files (each test owns the rows it creates and reads
 * only those), and its migrated template, which the few files whose effects are global copy into a
 * database of their own (createSuiteDatabase).
 */
export default async function globalSetup(): Promise<void> {
  const database = await createTestDatabase();
  // Workers are started after this and inherit the environment.
  process.env.TEST_DATABASE_URL = database.url;
  process.env.TEST_DATABASE_TEMPLATE_URL = database.templateUrl;
  (globalThis as { __testDatabase?: typeof database }).__testDatabase = database;
}
