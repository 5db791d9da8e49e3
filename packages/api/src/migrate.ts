/**
 * `pnpm --filter @fittech/api migrate` and the Helm pre-install/pre-upgrade
 * hook Job (`node packages/api/dist/migrate.js`): applies pending migrations,
 * then keeps the least-privilege application role (DATABASE_APP_ROLE) the API
 * connects as, and exits 0; or prints what failed and exits 1.
 *
 * Credentials: with DATABASE_AUTH=password, those of DATABASE_URL. With
 * DATABASE_AUTH=iam, DATABASE_URL names the application role, which may not
 * change the schema; the Job connects as the master user instead, whose
 * password RDS keeps in Secrets Manager: the Job's own Pod Identity role may
 * read it (DATABASE_INSTANCE, AWS_REGION). Nobody types or stores it.
 */
import { ApiEnvironmentError } from '@fittech/shared';
import { ensureApplicationRole } from './application-role';
import { DatabaseCredentialsError } from './credentials';
import {
  createPool,
  databaseConnection,
  DatabaseUrlError,
  MIGRATION_TIMEOUTS,
  type DatabaseConnection,
} from './database';
import { readApiVariables } from './environment';
import { createLogger } from './logger';
import { asUser, rdsMasterCredentials } from './master-credentials';
import { runMigrations } from './migrations';

const VARIABLES = [
  'DATABASE_URL',
  'DATABASE_AUTH',
  'DATABASE_APP_ROLE',
  'DATABASE_INSTANCE',
  'AWS_REGION',
  'LOG_LEVEL',
] as const;

async function migrate(): Promise<number> {
  let env;
  try {
    env = readApiVariables(VARIABLES);
  } catch (error) {
    if (error instanceof ApiEnvironmentError) {
      process.stderr.write(`fittech-api migrations cannot run.\n${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const logger = createLogger(env.LOG_LEVEL);
  let connection: DatabaseConnection;
  try {
    connection = databaseConnection(env.DATABASE_URL);
    if (env.DATABASE_AUTH === 'iam') {
      if (!env.DATABASE_INSTANCE || !env.AWS_REGION) {
        throw new DatabaseCredentialsError(
          'DATABASE_AUTH=iam needs DATABASE_INSTANCE and AWS_REGION: the migration reads the master ' +
            "credentials from the RDS instance's managed secret",
        );
      }
      const master = await rdsMasterCredentials({
        region: env.AWS_REGION,
        instanceIdentifier: env.DATABASE_INSTANCE,
      });
      connection = asUser(connection, master);
    }
  } catch (error) {
    if (error instanceof DatabaseUrlError || error instanceof DatabaseCredentialsError) {
      process.stderr.write(`fittech-api migrations cannot run.\n${error.message}\n`);
      return 1;
    }
    logger.fatal({ err: error }, 'cannot read the master credentials');
    return 1;
  }
  const pool = createPool(connection, { max: 1, timeouts: MIGRATION_TIMEOUTS });
  try {
    const result = await runMigrations(pool, logger);
    logger.info(
      { applied: result.applied, schemaVersion: result.version, database: connection.description },
      result.applied.length > 0 ? 'migrations applied' : 'database already up to date',
    );
    const role = await ensureApplicationRole(pool, env.DATABASE_APP_ROLE);
    logger.info(
      { role: role.role, created: role.created, tables: role.tables, iam: role.iam },
      'application role kept: read and write on the application tables, nothing else',
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
