/**
 * `pnpm --filter @fittech/api migrate` and the Helm pre-install/pre-upgrade
 * hook Job (`node packages/api/dist/migrate.js`): applies pending migrations
 * and exits 0, or prints what failed and exits 1. Needs only DATABASE_URL
 * (and LOG_LEVEL) from the shared contract.
 */
import { ApiEnvironmentError } from '@fittech/shared';
import { createPool, databaseConnection, DatabaseUrlError, MIGRATION_TIMEOUTS } from './database';
import { readApiVariables } from './environment';
import { createLogger } from './logger';
import { runMigrations } from './migrations';

async function migrate(): Promise<number> {
  let env;
  try {
    env = readApiVariables(['DATABASE_URL', 'LOG_LEVEL']);
  } catch (error) {
    if (error instanceof ApiEnvironmentError) {
      process.stderr.write(`fittech-api migrations cannot run.\n${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLogger(env.LOG_LEVEL);
  let connection;
  try {
    connection = databaseConnection(env.DATABASE_URL);
  } catch (error) {
    if (error instanceof DatabaseUrlError) {
      process.stderr.write(`fittech-api migrations cannot run.\n${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const pool = createPool(connection, { max: 1, timeouts: MIGRATION_TIMEOUTS });
  try {
    const result = await runMigrations(pool, logger);
    logger.info(
      { applied: result.applied, schemaVersion: result.version, database: connection.description },
      result.applied.length > 0 ? 'migrations applied' : 'database already up to date',
    );
    return 0;
  } catch (error) {
    logger.fatal({ err: error, database: connection.description }, 'migrations failed');
    return 1;
  } finally {
    await pool.end();
  }
}

void migrate().then((code) => process.exit(code));
