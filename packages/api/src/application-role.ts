/**
 * The least-privilege role the API connects as. The migration Job (as the
 * master user) keeps it after every run: it owns nothing, may connect to the
 * database and use the schema, and may only read and write the application's
 * tables — no DDL, no TRUNCATE, no access to the migrations' bookkeeping.
 * Every run re-applies the same state, so it is idempotent and also repairs
 * drift (a privilege granted by hand is revoked again).
 */
import type { Pool, PoolClient } from 'pg';

/** The tables the application role may not touch (the migrations' own bookkeeping). */
export const PRIVATE_TABLES = ['schema_migrations'] as const;

/** What the role may do on each application table. */
export const TABLE_PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'] as const;

/**
 * The role RDS grants to users that log in with IAM tokens. It exists only on
 * RDS; elsewhere (local PostgreSQL) the grant is skipped.
 */
export const RDS_IAM_ROLE = 'rds_iam';

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Serialises concurrent runs (two overlapping hook Jobs) around CREATE ROLE. */
const ROLE_LOCK_KEY = 7_301_146_502;

export interface ApplicationRoleResult {
  readonly role: string;
  /** Whether this run created the role (false: it existed and was brought to the same state). */
  readonly created: boolean;
  /** The tables it may read and write. */
  readonly tables: string[];
  /** Whether it may log in with IAM tokens (RDS's rds_iam role exists and was granted). */
  readonly iam: boolean;
}

/**
 * Creates the role when missing and brings it to exactly the state above, in
 * one transaction. Run it after the migrations, so new tables are covered.
 */
export async function ensureApplicationRole(
  pool: Pool,
  role: string,
): Promise<ApplicationRoleResult> {
  if (!ROLE_NAME.test(role)) {
    throw new Error(
      `the application role "${role}" must be a PostgreSQL identifier: lower-case letters, digits and "_"`,
    );
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    try {
      const result = await apply(client, role);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  } finally {
    client.release();
  }
}

async function apply(client: PoolClient, role: string): Promise<ApplicationRoleResult> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [ROLE_LOCK_KEY]);
  const id = client.escapeIdentifier(role);
  const existing = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
  const created = existing.rowCount === 0;
  if (created) await client.query(`CREATE ROLE ${id}`);
  // No attribute beyond LOGIN, whatever was set by hand before.
  await client.query(
    `ALTER ROLE ${id} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT`,
  );

  const { rows: db } = await client.query<{ name: string }>('SELECT current_database() AS name');
  await client.query(`GRANT CONNECT ON DATABASE ${client.escapeIdentifier(db[0]!.name)} TO ${id}`);
  await client.query(`GRANT USAGE ON SCHEMA public TO ${id}`);
  await client.query(`REVOKE CREATE ON SCHEMA public FROM ${id}`);

  // Exactly the four privileges on the application's tables, nothing on the others.
  await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${id}`);
  await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${id}`);
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT (c.relname = ANY($1))
      ORDER BY c.relname`,
    [[...PRIVATE_TABLES]],
  );
  const tables = rows.map((r) => r.name);
  if (tables.length > 0) {
    const list = tables.map((t) => `public.${client.escapeIdentifier(t)}`).join(', ');
    await client.query(`GRANT ${TABLE_PRIVILEGES.join(', ')} ON ${list} TO ${id}`);
  }

  const rdsIam = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [RDS_IAM_ROLE]);
  const iam = rdsIam.rowCount === 1;
  if (iam) await client.query(`GRANT ${client.escapeIdentifier(RDS_IAM_ROLE)} TO ${id}`);
  return { role, created, tables, iam };
}
