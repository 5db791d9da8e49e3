import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { CACHE_CHANNEL, FLUSH_ALL } from './invalidation';

/** One versioned, forward-only schema change. Never edit one that has shipped: add the next. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'users, onboarding, food and workout logs',
    sql: `
      CREATE TABLE users (
        id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        email           text NOT NULL,
        hashed_password text NOT NULL,
        created_at      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_key UNIQUE (email)
      );

      CREATE TABLE onboarding (
        id                 integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id            integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        name               text,
        birthdate          date,
        sex                text,
        height             integer,
        weight             integer,
        main_goal          text,
        weight_target      integer,
        deadline           date,
        medical_conditions text,
        sleep_hours        double precision,
        work_schedule      text,
        perc_fat           double precision,
        perc_muscle        double precision,
        injury_hist        text,
        exp_level          text,
        restricted_foods   text,
        time_availability  text,
        material_access    text,
        updated_at         timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT onboarding_user_id_key UNIQUE (user_id)
      );

      CREATE TABLE food_logs (
        id           integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id      integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        food_name    text NOT NULL,
        serving_size integer,
        serving_unit text,
        calories     integer,
        protein      integer,
        carbs        integer,
        fats         integer,
        "timestamp"  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX food_logs_user_id_timestamp_idx ON food_logs (user_id, "timestamp");

      CREATE TABLE workout_logs (
        id              integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        user_id         integer NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        date            timestamptz NOT NULL DEFAULT now(),
        workout_type    text,
        duration        integer,
        total_distance  double precision,
        avg_pace        double precision,
        avg_heart_rate  integer,
        max_heart_rate  integer,
        calories_burned integer,
        notes           text
      );
      CREATE INDEX workout_logs_user_id_date_idx ON workout_logs (user_id, date);
    `,
  },
];

/** Arbitrary but fixed key of the advisory lock that serialises concurrent migration runs. */
const MIGRATION_LOCK_KEY = 7_301_146_501;

export interface MigrationResult {
  /** Versions applied by this run, in order. */
  readonly applied: number[];
  /** The schema version after the run. */
  readonly version: number;
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

const checksum = (sql: string) => createHash('sha256').update(sql).digest('hex');

/**
 * Applies the pending migrations, each in its own transaction. Safe to run
 * again (nothing to do) and concurrently (an advisory lock serialises runs,
 * as when two Helm hook Jobs overlap). Refuses to continue when a migration
 * that was already applied has since been edited. When anything was applied,
 * tells every running replica to drop its cache.
 */
export async function runMigrations(
  pool: Pool,
  logger?: Pick<Logger, 'info' | 'warn'>,
  list: readonly Migration[] = migrations,
): Promise<MigrationResult> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`
        CREATE TABLE IF NOT EXISTS schema_migrations (
          version    integer PRIMARY KEY,
          name       text NOT NULL,
          checksum   text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      const { rows } = await client.query<{ version: number; checksum: string }>(
        'SELECT version, checksum FROM schema_migrations ORDER BY version',
      );
      const done = new Map(rows.map((r) => [r.version, r.checksum]));
      for (const m of list) {
        const recorded = done.get(m.version);
        if (recorded !== undefined && recorded !== checksum(m.sql)) {
          throw new MigrationError(
            `Migration ${m.version} ("${m.name}") was changed after it was applied; restore it and add a new migration instead`,
          );
        }
      }
      const known = new Set(list.map((m) => m.version));
      const unknown = rows.filter((r) => !known.has(r.version)).map((r) => r.version);
      if (unknown.length > 0) {
        logger?.warn(
          { versions: unknown },
          'the database has migrations this release does not know (a newer release ran); leaving them',
        );
      }

      const applied: number[] = [];
      for (const m of [...list].sort((a, b) => a.version - b.version)) {
        if (done.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query(
            'INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)',
            [m.version, m.name, checksum(m.sql)],
          );
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new MigrationError(
            `Migration ${m.version} ("${m.name}") failed and was rolled back: ${(error as Error).message}`,
          );
        }
        applied.push(m.version);
        logger?.info({ schemaVersion: m.version, name: m.name }, 'migration applied');
      }
      if (applied.length > 0) {
        await client.query('SELECT pg_notify($1, $2)', [CACHE_CHANNEL, FLUSH_ALL]);
      }
      const version = Math.max(0, ...rows.map((r) => r.version), ...applied);
      return { applied, version };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    client.release();
  }
}
