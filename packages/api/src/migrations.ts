import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Logger } from 'pino';
import { ACCOUNTS_CHANNEL, CACHE_CHANNEL, FLUSH_ALL } from './invalidation';

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
  {
    version: 2,
    name: 'case-insensitive emails, token versions, shared rate limits',
    sql: `
      -- Emails are one account whatever their case. Accounts that already
      -- collide cannot be merged by a migration: stop, and say what to do.
      DO $$
      DECLARE
        duplicates integer;
      BEGIN
        SELECT count(*) INTO duplicates FROM (
          SELECT 1 FROM users GROUP BY lower(btrim(email)) HAVING count(*) > 1
        ) AS d;
        IF duplicates > 0 THEN
          RAISE EXCEPTION '% email address(es) belong to more than one account when case and surrounding spaces are ignored', duplicates
            USING HINT = 'List them with: SELECT lower(btrim(email)), array_agg(id) FROM users GROUP BY 1 HAVING count(*) > 1; merge or rename those accounts, then run the migrations again.';
        END IF;
      END
      $$;
      UPDATE users SET email = btrim(email) WHERE email <> btrim(email);
      ALTER TABLE users
        ADD CONSTRAINT users_email_trimmed CHECK (email = btrim(email) AND email <> '');
      CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
      ALTER TABLE users DROP CONSTRAINT users_email_key;

      -- Tokens carry the account's version; bumping it (logout) revokes them all.
      ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;

      -- rate-limiter-flexible's PostgreSQL store, shared by every replica.
      -- Keys are a prefix and an address or a hash: never an email.
      CREATE TABLE rate_limits (
        key    text PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      );
      CREATE INDEX rate_limits_expire_idx ON rate_limits (expire);
    `,
  },
  {
    version: 3,
    name: 'announce account changes to every replica',
    // The replicas remember who a token is (principals.ts); any change of a
    // users row, through the API or not, must reach them, as a write does.
    sql: `
      CREATE FUNCTION fittech_account_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          PERFORM pg_notify('${ACCOUNTS_CHANNEL}', '${FLUSH_ALL}');
        ELSE
          PERFORM pg_notify('${ACCOUNTS_CHANNEL}', OLD.id::text);
        END IF;
        RETURN NULL;
      END
      $$;
      CREATE TRIGGER users_account_changed AFTER UPDATE OR DELETE ON users
        FOR EACH ROW EXECUTE FUNCTION fittech_account_changed();
      CREATE TRIGGER users_truncated AFTER TRUNCATE ON users
        FOR EACH STATEMENT EXECUTE FUNCTION fittech_account_changed();
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

/** PostgreSQL's HINT of a failed statement (what to do), when it gave one. */
const hint = (error: unknown) => {
  const text = (error as { hint?: unknown }).hint;
  return typeof text === 'string' && text !== '' ? `. Hint: ${text}` : '';
};

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
            `Migration ${m.version} ("${m.name}") failed and was rolled back: ${(error as Error).message}${hint(error)}`,
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
