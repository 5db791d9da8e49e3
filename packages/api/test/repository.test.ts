/**
 * The repository against a real PostgreSQL: every statement is prepared once
 * per connection (PostgreSQL parses and plans it once, not per request), and
 * a migration that changes what a prepared statement returns costs no request.
 */
import { Client, type Notification, type Pool } from 'pg';
import {
  CACHE_CHANNEL,
  createPool,
  databaseConnection,
  DEFAULT_DATABASE_TIMEOUTS,
  Repository,
  type WriteOutcome,
} from '@fittech/api';
import {
  postgresUnavailable,
  startPostgres,
  type PostgresServer,
} from '../../../tools/support/servers';
import { migrate } from './support/api';

const suite = postgresUnavailable ? describe.skip : describe;

const EGG = {
  food_name: 'Egg',
  serving_size: 1,
  serving_unit: 'pc',
  calories: 70,
  protein: 6,
  carbs: 1,
  fats: 5,
  timestamp: '2025-01-01T12:00:00Z',
};

suite(`Repository${postgresUnavailable ? ` (skipped: ${postgresUnavailable})` : ''}`, () => {
  let pg: PostgresServer;
  let admin: Client;
  beforeAll(async () => {
    pg = await startPostgres();
    await migrate(pg.url);
    admin = new Client({ connectionString: pg.url });
    await admin.connect();
  }, 30_000);
  afterAll(async () => {
    await admin?.end();
    await pg?.remove();
  });

  /** One connection, so that each test sees what that session has prepared. */
  const onePool = (): Pool => {
    const pool = createPool(databaseConnection(pg.url), {
      max: 1,
      timeouts: DEFAULT_DATABASE_TIMEOUTS,
    });
    pool.on('error', () => undefined);
    return pool;
  };
  const newUser = async (repository: Repository, label: string) =>
    (await repository.createUser(`${label}-${Date.now()}@example.com`, 'not-a-real-hash'))!.id;

  it('prepares each statement once per connection and runs it again without parsing it', async () => {
    const pool = onePool();
    try {
      const repository = new Repository(pool);
      const userId = await newUser(repository, 'prepared');
      for (let i = 0; i < 3; i++) {
        await repository.createFoodLog(userId, EGG);
        await repository.foodLogsBetween(userId, '2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z');
      }
      const { rows } = await pool.query<{ name: string; runs: number }>(
        `SELECT name, (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements
         WHERE name LIKE 'fittech_%' ORDER BY name`,
      );
      expect(rows).toEqual([
        { name: 'fittech_create_food_log', runs: 3 },
        { name: 'fittech_create_user', runs: 1 },
        { name: 'fittech_food_logs_between', runs: 3 },
      ]);
    } finally {
      await pool.end();
    }
  });

  it('a migration that changes a returned column’s type costs no request: the stale connection is replaced', async () => {
    const pool = onePool();
    const heard: string[] = [];
    const listener = new Client({ connectionString: pg.url });
    await listener.connect();
    listener.on('notification', (n: Notification) => heard.push(n.payload ?? ''));
    await listener.query(`LISTEN ${CACHE_CHANNEL}`);
    const outcomes: WriteOutcome[] = [];
    try {
      const repository = new Repository(pool, {
        committing: () => undefined,
        settled: async (_userId, _pid, outcome) => {
          outcomes.push(outcome);
        },
      });
      const userId = await newUser(repository, 'stale');
      await repository.createFoodLog(userId, EGG);
      expect(await repository.listFoodLogs(userId)).toHaveLength(1);
      const before = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;

      // A migration run while replicas serve: the plans they hold now return a stale type.
      await admin.query('ALTER TABLE food_logs ALTER COLUMN calories TYPE numeric(8, 1)');
      try {
        const written = await repository.createFoodLog(userId, { ...EGG, calories: 72 });
        expect(written).toMatchObject({ user_id: userId, calories: '72.0' });
        const logs = await repository.listFoodLogs(userId);
        expect(logs.map((log) => log.calories)).toEqual(['70.0', '72.0']);

        // The connection that held the stale statements was discarded; its successor prepared
        // the list afresh (above) and runs it prepared again.
        const after = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))
          .rows[0]!;
        expect(after.pid).not.toBe(before.pid);
        await repository.listFoodLogs(userId);
        const { rows } = await pool.query<{ runs: number }>(
          `SELECT (generic_plans + custom_plans)::int AS runs FROM pg_prepared_statements
           WHERE name = 'fittech_list_food_logs'`,
        );
        expect(rows).toEqual([{ runs: 2 }]);
      } finally {
        await admin.query(
          'ALTER TABLE food_logs ALTER COLUMN calories TYPE integer USING round(calories)',
        );
      }
      // Each write committed once and was announced once, the one retried included.
      await listener.query('SELECT 1'); // notifications are delivered before this answer
      expect(outcomes).toEqual(['committed', 'committed']);
      expect(heard).toEqual([String(userId), String(userId)]);
    } finally {
      await listener.end();
      await pool.end();
    }
  });
});
