/**
 * The container's entry point (`node packages/api/dist/main.js`, PID 1):
 * reads the environment through the shared contract, starts the API, and
 * turns SIGTERM/SIGINT into a graceful shutdown that exits 0.
 */
import { ApiEnvironmentError } from '@fittech/shared';
import { DatabaseCredentialsError } from './credentials';
import { DatabaseUrlError } from './database';
import { readApiEnvironment } from './environment';
import { createLogger } from './logger';
import { startApi } from './server';

async function main(): Promise<void> {
  let env;
  try {
    env = readApiEnvironment(process.env);
  } catch (error) {
    if (error instanceof ApiEnvironmentError) {
      process.stderr.write(`fittech-api cannot start.\n${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(env.LOG_LEVEL);
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    process.exit(1);
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    process.exit(1);
  });

  let api;
  try {
    api = await startApi({ env, logger });
  } catch (error) {
    if (error instanceof DatabaseUrlError || error instanceof DatabaseCredentialsError) {
      process.stderr.write(`fittech-api cannot start.\n${error.message}\n`);
    } else {
      logger.fatal({ err: error }, 'cannot start');
    }
    process.exit(1);
  }

  const stop = (signal: NodeJS.Signals) => {
    if (api.shuttingDown) {
      logger.info({ signal }, 'already shutting down');
      return;
    }
    void api.shutdown(signal).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
