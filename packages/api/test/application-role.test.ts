/**
 * The least-privilege application role the migration keeps, against a real
 * PostgreSQL: created once, owns nothing, may only read and write the
 * application's tables; running again changes nothing (and repairs drift);
 * the API runs a full session as that role.
 */
import { Client, type Pool } from 'pg';
import {
  createPool,
  databaseConnection,
  ensureApplicationRole,
  MIGRATION_TIMEOUTS,
  RDS_IAM_ROLE,
  type RunningApi,
} from '@fittech/api';
import type { PostgresServer, RedisServer } from '../../../tools/support/servers';
import { call, newUser, startTestApi } from './support/api';
import { describeWithServers, useStack } from './support/stack';

const ROLE = 'fittech_app';
const APP_TABLES = ['food_logs', 'onboarding', 'rate_limits', 'users', 'workout_logs'];

describeWithServers('the application role', () => {
  let master: Pool;
  const stack = useStack({ apis: async () => [], beforeTeardown: () => master?.end() });
  let pg: PostgresServer;
  let redis: RedisServer;
  let db: Client;

  beforeAll(() => {
    ({ pg, db } = stack);
    redis = stack.redis[0]!;
    // Named, so that the sessions of the API (application_name fittech-api) can be told apart.
    const masterUrl = `${pg.url}?application_name=role-test-master`;
    master = createPool(databaseConnection(masterUrl), { max: 1, timeouts: MIGRATION_TIMEOUTS });
    master.on('error', () => undefined);
  });

  /** The role's table privileges, as PostgreSQL reports them: "table: PRIV, PRIV". */
  const grants = async () => {
    const { rows } = await db.query<{ table: string; privileges: string }>(
      `SELECT table_name AS table, string_agg(privilege_type, ', ' ORDER BY privilege_type) AS privileges
         FROM information_schema.role_table_grants WHERE grantee = $1
        GROUP BY table_name ORDER BY table_name`,
      [ROLE],
    );
    return rows.map((r) => `${r.table}: ${r.privileges}`);
  };

  const asRole = async <T>(use: (c: Client) => Promise<T>) => {
    await db.query(`SET ROLE ${ROLE}`);
    try {
      return await use(db);
    } finally {
      await db.query('RESET ROLE');
    }
  };

  it('is created with LOGIN and nothing else, owns nothing, and may only read and write the application tables', async () => {
    const result = await ensureApplicationRole(master, ROLE);
    expect(result).toEqual({ role: ROLE, created: true, tables: APP_TABLES, iam: false });

    const expected = APP_TABLES.map((t) => `${t}: DELETE, INSERT, SELECT, UPDATE`);
    const actual = await grants();
    // The acceptance evidence: the grants as PostgreSQL reports them.
    process.stdout.write(`grants of ${ROLE} after the migration:\n  ${actual.join('\n  ')}\n`);
    expect(actual).toEqual(expected);

    const { rows: attrs } = await db.query(
      `SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
         FROM pg_roles WHERE rolname = $1`,
      [ROLE],
    );
    expect(attrs[0]).toEqual({
      rolcanlogin: true,
      rolsuper: false,
      rolcreatedb: false,
      rolcreaterole: false,
      rolreplication: false,
      rolbypassrls: false,
    });
    const { rows: owned } = await db.query(
      `SELECT (SELECT count(*) FROM pg_class WHERE relowner = r.oid)::int
            + (SELECT count(*) FROM pg_namespace WHERE nspowner = r.oid)::int
            + (SELECT count(*) FROM pg_proc WHERE proowner = r.oid)::int
            + (SELECT count(*) FROM pg_database WHERE datdba = r.oid)::int AS owned
         FROM pg_roles r WHERE r.rolname = $1`,
      [ROLE],
    );
    expect(owned[0].owned).toBe(0);
  });

  it('reads and writes rows (identity columns included), and is refused DDL, TRUNCATE and the migrations table', async () => {
    await ensureApplicationRole(master, ROLE);
    await asRole(async (c) => {
      const { rows } = await c.query<{ id: number }>(
        "INSERT INTO users (email, hashed_password) VALUES ('role@example.com', 'x') RETURNING id",
      );
      await c.query('UPDATE users SET token_version = token_version + 1 WHERE id = $1', [
        rows[0]!.id,
      ]);
      await c.query('DELETE FROM users WHERE id = $1', [rows[0]!.id]);
      for (const sql of [
        'CREATE TABLE intruder (id int)',
        'DROP TABLE food_logs',
        'ALTER TABLE users ADD COLUMN x int',
        'TRUNCATE rate_limits',
        'SELECT * FROM schema_migrations',
        'CREATE INDEX intruder_idx ON users (created_at)',
      ]) {
        await expect(c.query(sql)).rejects.toMatchObject({
          code: expect.stringMatching(/^42501$/),
        });
      }
    });
  });

  it('running again changes nothing, and revokes what was granted by hand', async () => {
    const before = await grants();
    await db.query(`GRANT TRUNCATE, REFERENCES ON users TO ${ROLE}`);
    await db.query(`GRANT ALL ON schema_migrations TO ${ROLE}`);
    await db.query(`ALTER ROLE ${ROLE} CREATEDB`);
    const again = await ensureApplicationRole(master, ROLE);
    expect(again.created).toBe(false);
    expect(await grants()).toEqual(before);
    const { rows } = await db.query('SELECT rolcreatedb FROM pg_roles WHERE rolname = $1', [ROLE]);
    expect(rows[0].rolcreatedb).toBe(false);
  });

  it("is granted RDS's rds_iam role where it exists, so it logs in with IAM tokens", async () => {
    // RDS creates rds_iam itself; a local server has none, so the test creates it as RDS would.
    await db.query(`CREATE ROLE ${RDS_IAM_ROLE} NOLOGIN`);
    try {
      const result = await ensureApplicationRole(master, ROLE);
      expect(result.iam).toBe(true);
      const { rows } = await db.query(
        `SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
          JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1`,
        [ROLE],
      );
      expect(rows.map((r) => r.rolname)).toEqual([RDS_IAM_ROLE]);
    } finally {
      await db.query(`REVOKE ${RDS_IAM_ROLE} FROM ${ROLE}`);
      await db.query(`DROP ROLE ${RDS_IAM_ROLE}`);
    }
  });

  it('two runs at once both succeed (one creates the role, the other finds it)', async () => {
    const other = 'fittech_app_concurrent';
    const second = createPool(databaseConnection(pg.url), { max: 1 });
    second.on('error', () => undefined);
    try {
      const results = await Promise.all([
        ensureApplicationRole(master, other),
        ensureApplicationRole(second, other),
      ]);
      expect(results.map((r) => r.created).sort()).toEqual([false, true]);
    } finally {
      await second.end();
    }
  });

  it('refuses a role name that is not a plain identifier', async () => {
    await expect(ensureApplicationRole(master, 'app"; DROP TABLE users; --')).rejects.toThrow(
      /must be a PostgreSQL identifier/,
    );
  });

  it('the API runs a full session as the application role', async () => {
    await ensureApplicationRole(master, ROLE);
    // Locally the role logs in over trust; on RDS with an IAM token.
    const url = new URL(pg.url);
    url.username = ROLE;
    let api: RunningApi | undefined;
    try {
      api = await startTestApi(url.toString(), redis.url);
      const user = await newUser(api, 'role');
      const onboarding = await call(api, 'POST', `/users/${user.id}/onboarding`, {
        token: user.token,
        json: { name: 'Role', birthdate: '1990-01-01', sex: 'female', height: 170, weight: 65 },
      });
      expect(onboarding.status).toBe(201);
      const food = await call(api, 'POST', `/users/${user.id}/food-logs`, {
        token: user.token,
        json: { food_name: 'oats', calories: 150 },
      });
      expect(food.status).toBe(201);
      expect(
        (await call(api, 'GET', `/users/${user.id}/food-logs`, { token: user.token })).status,
      ).toBe(200);
      expect((await call(api, 'POST', '/auth/logout', { token: user.token })).status).toBe(204);
      const { rows } = await db.query<{ usename: string }>(
        "SELECT DISTINCT usename FROM pg_stat_activity WHERE application_name = 'fittech-api'",
      );
      expect(rows.map((r) => r.usename)).toEqual([ROLE]);
    } finally {
      await api?.shutdown('test finished');
    }
  });
});
