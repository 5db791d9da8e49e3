import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { isDatabaseUnavailable } from './database';
import { CACHE_CHANNEL } from './invalidation';
import type { FoodLogBody, OnboardingBody, WorkoutLogBody } from './validation';

/**
 * Every SQL statement of the API. Values only ever travel as parameters;
 * identifiers come from the constant column tables below, never from input.
 */

export interface User {
  readonly id: number;
  readonly email: string;
}

/** A user as authentication needs it: the token version revokes older tokens. */
export interface Account extends User {
  readonly token_version: number;
}

/** The API's field names (the request schemas' keys, camelCase ones included) → columns. */
type Columns<B> = { readonly [K in keyof B]-?: string };

export const ONBOARDING_COLUMNS: Omit<Columns<OnboardingBody>, 'user_id'> = {
  name: 'name',
  birthdate: 'birthdate',
  sex: 'sex',
  height: 'height',
  weight: 'weight',
  main_goal: 'main_goal',
  weight_target: 'weight_target',
  deadline: 'deadline',
  medical_conditions: 'medical_conditions',
  sleep_hours: 'sleep_hours',
  work_schedule: 'work_schedule',
  percFat: 'perc_fat',
  percMuscle: 'perc_muscle',
  injuryHist: 'injury_hist',
  expLevel: 'exp_level',
  restrictedFoods: 'restricted_foods',
  timeAvailability: 'time_availability',
  materialAccess: 'material_access',
};

export const FOOD_LOG_COLUMNS: Columns<FoodLogBody> = {
  food_name: 'food_name',
  serving_size: 'serving_size',
  serving_unit: 'serving_unit',
  calories: 'calories',
  protein: 'protein',
  carbs: 'carbs',
  fats: 'fats',
  timestamp: 'timestamp',
};

export const WORKOUT_LOG_COLUMNS: Columns<WorkoutLogBody> = {
  date: 'date',
  workout_type: 'workout_type',
  duration: 'duration',
  total_distance: 'total_distance',
  avg_pace: 'avg_pace',
  avg_heart_rate: 'avg_heart_rate',
  max_heart_rate: 'max_heart_rate',
  calories_burned: 'calories_burned',
  notes: 'notes',
};

type Values = Readonly<Record<string, unknown>>;
export type OnboardingValues = Omit<OnboardingBody, 'user_id'> | OnboardingBody;
export type FoodLogValues = FoodLogBody;
export type WorkoutLogValues = WorkoutLogBody;
export type Row = Record<string, unknown>;

const quote = (identifier: string) => `"${identifier}"`;
const selectList = (columns: Readonly<Record<string, string>>) =>
  [
    'id',
    'user_id',
    ...Object.entries(columns).map(([api, column]) => `${quote(column)} AS ${quote(api)}`),
  ].join(', ');

const ONBOARDING_SELECT = selectList(ONBOARDING_COLUMNS);

/**
 * A statement PostgreSQL parses and plans once per connection (a named
 * prepared statement), not once per query: half of the database's work for a
 * one-row write or read. The set is fixed (the texts below), so each pooled
 * connection holds at most this many.
 */
interface Statement {
  readonly name: string;
  readonly text: string;
}

const prepared = (name: string, text: string): Statement => ({ name: `fittech_${name}`, text });

/**
 * A one-row write (`sql` ends in RETURNING) as one statement that also
 * announces it on the cache channel: PostgreSQL delivers the notification to
 * every replica's listener if, and only if, the write commits (a single
 * statement is its own transaction; one round trip instead of four). The last
 * two parameters are the channel and the payload (the user's id).
 */
function announcing(name: string, sql: string, parameters: number): Statement {
  return prepared(
    name,
    `WITH written AS (${sql}),
      announced AS (SELECT pg_notify($${parameters + 1}, $${parameters + 2}) WHERE EXISTS (SELECT 1 FROM written))
      SELECT written.* FROM written, announced`,
  );
}

/** `INSERT … VALUES ($1 = user_id, $2 …)` of every column of `columns`; `now` for the one whose null means now. */
function insertion(table: string, columns: Readonly<Record<string, string>>, now?: string) {
  const quoted = Object.values(columns).map(quote);
  const values = quoted.map((c, i) =>
    c === (now && quote(now)) ? `COALESCE($${i + 2}::timestamptz, now())` : `$${i + 2}`,
  );
  return `INSERT INTO ${table} (user_id, ${quoted.join(', ')}) VALUES ($1, ${values.join(', ')})`;
}

const ONBOARDING_SET = Object.values(ONBOARDING_COLUMNS)
  .map((c, i) => `${quote(c)} = $${i + 2}`)
  .join(', ');
const ONBOARDING_PARAMETERS = 1 + Object.keys(ONBOARDING_COLUMNS).length;

/**
 * The statements of a per-user log table: all of a user's rows, those whose
 * `time` falls in [$2, $3), and an insert (a null `time` means now).
 */
function logStatements(
  kind: string,
  table: string,
  columns: Readonly<Record<string, string>>,
  time: string,
) {
  const select = selectList(columns);
  const mine = `SELECT ${select} FROM ${table} WHERE user_id = $1`;
  return {
    list: prepared(`list_${kind}s`, `${mine} ORDER BY id`),
    between: prepared(
      `${kind}s_between`,
      `${mine} AND ${quote(time)} >= $2 AND ${quote(time)} < $3 ORDER BY id`,
    ),
    create: announcing(
      `create_${kind}`,
      `${insertion(table, columns, time)} RETURNING ${select}`,
      1 + Object.keys(columns).length,
    ),
  };
}

const FOOD_LOG_SQL = logStatements('food_log', 'food_logs', FOOD_LOG_COLUMNS, 'timestamp');
const WORKOUT_LOG_SQL = logStatements('workout_log', 'workout_logs', WORKOUT_LOG_COLUMNS, 'date');

const SQL = {
  findUserByEmail: prepared(
    'find_user_by_email',
    'SELECT id, email, hashed_password, token_version FROM users WHERE lower(email) = lower($1)',
  ),
  findUserById: prepared(
    'find_user_by_id',
    'SELECT id, email, token_version FROM users WHERE id = $1',
  ),
  createUser: prepared(
    'create_user',
    `INSERT INTO users (email, hashed_password) VALUES ($1, $2)
     ON CONFLICT ((lower(email))) DO NOTHING RETURNING id, email, token_version`,
  ),
  bumpTokenVersion: prepared(
    'bump_token_version',
    'UPDATE users SET token_version = token_version + 1 WHERE id = $1',
  ),
  getOnboarding: prepared(
    'get_onboarding',
    `SELECT ${ONBOARDING_SELECT} FROM onboarding WHERE user_id = $1`,
  ),
  createOnboarding: announcing(
    'create_onboarding',
    `${insertion('onboarding', ONBOARDING_COLUMNS)}
     ON CONFLICT (user_id) DO NOTHING RETURNING ${ONBOARDING_SELECT}`,
    ONBOARDING_PARAMETERS,
  ),
  updateOnboarding: announcing(
    'update_onboarding',
    `UPDATE onboarding SET ${ONBOARDING_SET}, updated_at = now() WHERE user_id = $1
     RETURNING ${ONBOARDING_SELECT}`,
    ONBOARDING_PARAMETERS,
  ),
} as const;

/**
 * PostgreSQL refuses a prepared statement whose result changed shape since
 * it was planned (a migration altered a column it returns): SQLSTATE 0A000,
 * raised before anything ran.
 */
function isStalePlan(error: unknown): boolean {
  return (
    (error as { code?: unknown }).code === '0A000' &&
    /cached plan must not change result type/.test((error as Error).message)
  );
}

/**
 * Runs `statement` prepared; when the connection's copy is stale (see
 * {@link isStalePlan}), runs it once more as a one-off statement, which
 * PostgreSQL plans afresh. `stale` then says the connection should be
 * discarded (a pool.query that failed has already discarded its own).
 */
async function execute<R extends QueryResultRow>(
  runner: Pool | PoolClient,
  statement: Statement,
  values: unknown[],
  timing?: QueryTiming,
): Promise<{ rows: R[]; stale: boolean }> {
  const started = timing ? performance.now() : 0;
  let ok = false;
  try {
    const { rows } = await runner.query<R>({ ...statement, values });
    ok = true;
    return { rows, stale: false };
  } catch (error) {
    if (!isStalePlan(error)) throw error;
    const { rows } = await runner.query<R>({ text: statement.text, values });
    ok = true;
    return { rows, stale: true };
  } finally {
    timing?.(statement.name, (performance.now() - started) / 1000, ok);
  }
}

/**
 * Told how long each statement took, in seconds (a read's includes waiting for
 * a free pooled connection; a write holds its connection already), and whether
 * it succeeded; `statement` is its prepared name
 * (`fittech_find_user_by_id`, …), a fixed set, so it can label a metric.
 */
export type QueryTiming = (statement: string, seconds: number, ok: boolean) => void;

/** The values of `columns` in `values`, in column order; absent ones are null. */
const parameters = (columns: Readonly<Record<string, string>>, values: Values) =>
  Object.keys(columns).map((api) => values[api] ?? null);

export class Repository {
  constructor(
    private readonly pool: Pool,
    private readonly observer?: WriteObserver,
    private readonly timing?: QueryTiming,
  ) {}

  private async rows<R extends QueryResultRow = Row>(
    statement: Statement,
    values: unknown[],
  ): Promise<R[]> {
    return (await execute<R>(this.pool, statement, values, this.timing)).rows;
  }

  /** The account an email names, whatever its case (a unique index on `lower(email)`). */
  async findUserByEmail(
    email: string,
  ): Promise<(Account & { hashed_password: string }) | undefined> {
    const rows = await this.rows<Account & { hashed_password: string }>(SQL.findUserByEmail, [
      email.trim(),
    ]);
    return rows[0];
  }

  async findUserById(id: number): Promise<Account | undefined> {
    if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return undefined;
    return (await this.rows<Account>(SQL.findUserById, [id]))[0];
  }

  /**
   * Creates the user, or returns undefined when the email is taken in any
   * case (race-free: the unique index on `lower(email)` decides).
   */
  async createUser(email: string, hashedPassword: string): Promise<Account | undefined> {
    return (await this.rows<Account>(SQL.createUser, [email, hashedPassword]))[0];
  }

  /** Revokes every token of the account: their version no longer matches. */
  async bumpTokenVersion(id: number): Promise<void> {
    await this.rows(SQL.bumpTokenVersion, [id]);
  }

  async getOnboarding(userId: number): Promise<Row | undefined> {
    return (await this.rows(SQL.getOnboarding, [userId]))[0];
  }

  /** Inserts the user's onboarding; undefined when one already exists. */
  createOnboarding(userId: number, values: OnboardingValues): Promise<Row | undefined> {
    return this.writeForUser(userId, SQL.createOnboarding, parameters(ONBOARDING_COLUMNS, values));
  }

  /** Replaces every field of the user's onboarding (omitted ones become null); undefined when none. */
  updateOnboarding(userId: number, values: OnboardingValues): Promise<Row | undefined> {
    return this.writeForUser(userId, SQL.updateOnboarding, parameters(ONBOARDING_COLUMNS, values));
  }

  listFoodLogs(userId: number): Promise<Row[]> {
    return this.rows(FOOD_LOG_SQL.list, [userId]);
  }

  /** Food logs whose timestamp falls in [from, to). */
  foodLogsBetween(userId: number, from: string, to: string): Promise<Row[]> {
    return this.rows(FOOD_LOG_SQL.between, [userId, from, to]);
  }

  /** Inserts a food log; a missing timestamp means now. */
  async createFoodLog(userId: number, values: FoodLogValues): Promise<Row> {
    return (await this.writeForUser(
      userId,
      FOOD_LOG_SQL.create,
      parameters(FOOD_LOG_COLUMNS, values),
    ))!;
  }

  listWorkoutLogs(userId: number): Promise<Row[]> {
    return this.rows(WORKOUT_LOG_SQL.list, [userId]);
  }

  /** Workouts whose date falls in [from, to). */
  workoutsBetween(userId: number, from: string, to: string): Promise<Row[]> {
    return this.rows(WORKOUT_LOG_SQL.between, [userId, from, to]);
  }

  /** Inserts a workout log; a missing date means now. */
  async createWorkoutLog(userId: number, values: WorkoutLogValues): Promise<Row> {
    return (await this.writeForUser(
      userId,
      WORKOUT_LOG_SQL.create,
      parameters(WORKOUT_LOG_COLUMNS, values),
    ))!;
  }

  /**
   * Runs one of the {@link announcing} statements for `userId` (its first
   * parameter) and tells the observer how it ended.
   */
  private async writeForUser(
    userId: number,
    statement: Statement,
    params: unknown[],
  ): Promise<Row | undefined> {
    const payload = String(userId);
    const client = await this.pool.connect();
    const backendPid = (client as { processID?: number }).processID ?? 0;
    let discard: Error | boolean = false;
    let rows: Row[];
    this.observer?.committing(userId, backendPid);
    try {
      ({ rows, stale: discard } = await execute<Row>(
        client,
        statement,
        [userId, ...params, CACHE_CHANNEL, payload],
        this.timing,
      ));
    } catch (error) {
      // A connection that timed out or broke is destroyed (PostgreSQL ends what it was doing
      // with the session); a statement that failed left nothing behind (it was its own transaction).
      if (isDatabaseUnavailable(error)) discard = error as Error;
      // Failed, or unknown (the connection broke after the commit): invalidate anyway.
      await this.observer?.settled(userId, backendPid, 'unknown');
      throw error;
    } finally {
      client.release(discard);
    }
    // After the connection is back in the pool: the refresh reads through it.
    await this.observer?.settled(userId, backendPid, rows.length > 0 ? 'committed' : 'unchanged');
    return rows[0];
  }
}

/** How a write ended, for {@link WriteObserver.settled}. */
export type WriteOutcome = 'committed' | 'unchanged' | 'unknown';

/** Told about every write that announces itself on the cache channel (the cache's write side). */
export interface WriteObserver {
  /** A write for `userId` is about to be sent, to commit on the PostgreSQL session `backendPid`. */
  committing(userId: number, backendPid: number): void;
  /**
   * The write returned: `committed` (a change, announced), `unchanged`
   * (nothing to change, nothing announced), or `unknown` (it failed, or the
   * connection broke after the commit: this replica's own notification, if
   * it comes, must then be applied). The write is answered once this resolves.
   */
  settled(userId: number, backendPid: number, outcome: WriteOutcome): Promise<void>;
}
