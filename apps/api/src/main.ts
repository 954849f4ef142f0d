import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ensureAdmin } from '@app/auth';
import { ConfigError, loadConfig } from '@app/common';
import { PrismaService } from '@app/database';
import { createApp } from './create-app';
import { prepareDatabase } from './database-bootstrap';

async function main(): Promise<void> {
  const logger = new Logger('Main');
  const config = loadConfig();
  const database = await prepareDatabase(config);
  const app = await createApp(config, database.url);
  const { adminEmail, adminPassword } = config.auth;
  if (adminEmail && adminPassword) await ensureAdmin(app.get(PrismaService), adminEmail, adminPassword);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: shutting down`);
    await app.close();
    // Stop the embedded server cleanly, or the next start finds a stale postmaster.pid.
    await database.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
  logger.log(`Listing API on http://${config.host}:${config.port} (${database.embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'})`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
