// First, before any dependency loads: an unsupported Node stops here with one line.
import './node-support';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ensureAdmin } from '@app/users';
import { ConfigError, createLogging, loadConfig, nestLoggerFor } from '@app/common';
import { DatabaseAvailability, PrismaService } from '@app/database';
import { shutDownGracefully } from '@app/health';
import { createApp } from './create-app';
import { prepareDatabase } from './database-bootstrap';
import { StartupError } from './startup-error';

async function main(): Promise<void> {
  const logger = new Logger('Main');
  const config = loadConfig();
  // One pino logger from here on, so that what is logged before the application exists (the embedded
  // database; Nest's start-up lines when the start fails) is JSON like the rest.
  const logging = createLogging(config.logLevel);
  Logger.overrideLogger(nestLoggerFor(logging));
  const database = await prepareDatabase(config);
  const app = await createApp(config, database.url, logging);
  const { adminEmail, adminPassword } = config.auth;
  if (adminEmail && adminPassword) {
    // A database that is down does not stop the service from starting (it answers 503 meanwhile):
    // the admin account is then created once the database is reachable. Nobody can take the address
    // meanwhile: registration refuses ADMIN_EMAIL (AuthService.register), and an account that already
    // holds it is never promoted (ensureAdmin).
    const availability = app.get(DatabaseAvailability);
    const createAdmin = () => ensureAdmin(app.get(PrismaService), adminEmail, adminPassword);
    if (await availability.check('at startup').then(() => true, () => false)) await createAdmin();
    else void availability.whenAvailable().then(createAdmin).catch((error: Error) => logger.error(`ADMIN_EMAIL: ${error.message}`));
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      // A repeat changes nothing: under systemd (KillMode=control-group) `npm run start:prod` passes the
      // signal on to the node process that already got it, and a second Ctrl-C must not cut requests short
      // either. The hard limit below still holds.
      logger.log(`${signal} again while shutting down: ignored (the shutdown ends within SHUTDOWN_TIMEOUT_MS)`);
      return;
    }
    stopping = true;
    // The hard limit: whatever is still running then is cut short.
    setTimeout(() => {
      logger.error(`Shutdown did not finish within SHUTDOWN_TIMEOUT_MS (${config.shutdownTimeoutMs} ms): exiting now`);
      process.exit(1);
    }, config.shutdownTimeoutMs).unref();
    // Stop the embedded server cleanly after the application, or the next start finds a stale postmaster.pid.
    shutDownGracefully(app, { signal, timeoutMs: config.shutdownTimeoutMs, delayMs: config.shutdownDelayMs, afterClose: () => database.stop() }).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`Shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (error) {
    // Release what is already running (pools, the embedded server) before saying why in one line.
    await app.close().catch(() => undefined);
    await database.stop().catch(() => undefined);
    throw listenFailure(error, config.host, config.port);
  }
  logger.log(`Listing API on http://${config.host}:${config.port} (${database.embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'})`);
}

/** The usual reasons a listen fails, each with the way out; anything else keeps its stack. */
function listenFailure(error: unknown, host: string, port: number): Error {
  const where = `Cannot listen on ${host}:${port}`;
  switch ((error as NodeJS.ErrnoException | undefined)?.code) {
    case 'EADDRINUSE':
      return new StartupError(`${where}: the port is already in use (another instance still running?). Stop it, or set PORT to a free port.`);
    case 'EACCES':
      return new StartupError(`${where}: permission denied (ports below 1024 need privileges). Set PORT to 1024 or above.`);
    case 'EADDRNOTAVAIL':
      return new StartupError(`${where}: this machine has no such address. Set HOST to one of its addresses, or to 0.0.0.0 for all.`);
    default:
      return error instanceof Error ? error : new Error(String(error));
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError || error instanceof StartupError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
