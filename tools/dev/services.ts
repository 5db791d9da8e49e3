/**
 * The data services `pnpm dev` runs the API against: the ones the caller gives
 * (DATABASE_URL, REDIS_URL), otherwise a PostgreSQL and a Redis started from
 * the local server binaries (the same starters the tests use), on free ports
 * in temporary directories, and removed when `pnpm dev` stops.
 */
import { Client } from 'pg';
import type { FitTechConfig } from '@fittech/shared';
import {
  postgresUnavailable,
  redisUnavailable,
  startPostgres,
  startRedis,
  type PostgresServer,
  type RedisServer,
} from '../support/servers';

export interface LocalServices {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  /** One line per service: where it is and whether `pnpm dev` owns it. */
  readonly description: string[];
  /** Stops and removes what was started here (never a server the caller gave). */
  remove(): Promise<void>;
}

export class ServicesError extends Error {}

/** Creates the configured database on a server we started (its name comes from the config). */
async function createDatabase(server: PostgresServer, name: string): Promise<string> {
  const client = new Client({ connectionString: server.url, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function localServices(
  config: FitTechConfig,
  env: Readonly<Record<string, string | undefined>>,
): Promise<LocalServices> {
  const givenDatabase = env.DATABASE_URL || undefined;
  const givenRedis = env.REDIS_URL || undefined;
  if (!givenDatabase && postgresUnavailable) {
    throw new ServicesError(
      `cannot start a local PostgreSQL: ${postgresUnavailable}. Install PostgreSQL's server (e.g. apt-get install postgresql) or set DATABASE_URL to a database you have.`,
    );
  }
  if (!givenRedis && redisUnavailable) {
    throw new ServicesError(
      `cannot start a local Redis: ${redisUnavailable}. Install it (e.g. apt-get install redis-server) or set REDIS_URL to a Redis you have.`,
    );
  }
  let pg: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const remove = async () => {
    await Promise.all([pg?.remove(), redis?.remove()]);
  };
  try {
    const [startedPg, startedRedis] = await Promise.all([
      givenDatabase ? undefined : startPostgres(),
      givenRedis ? undefined : startRedis(),
    ]);
    pg = startedPg;
    redis = startedRedis;
    const databaseUrl = givenDatabase ?? (await createDatabase(pg!, config.database.name));
    const redisUrl = givenRedis ?? redis!.url;
    return {
      databaseUrl,
      redisUrl,
      description: [
        pg
          ? `PostgreSQL on 127.0.0.1:${pg.port} (database ${config.database.name}), started for this session`
          : 'PostgreSQL: DATABASE_URL from your environment',
        redis
          ? `Redis on 127.0.0.1:${redis.port}, started for this session`
          : 'Redis: REDIS_URL from your environment',
      ],
      remove,
    };
  } catch (error) {
    await remove();
    throw error;
  }
}
