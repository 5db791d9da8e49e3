import type { Pool } from 'pg';
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
const FOOD_LOG_SELECT = selectList(FOOD_LOG_COLUMNS);
const WORKOUT_LOG_SELECT = selectList(WORKOUT_LOG_COLUMNS);

/** Columns that are set on insert/update, with their parameter values in order. */
function assignments(columns: Readonly<Record<string, string>>, values: Values) {
  const entries = Object.entries(columns);
  return {
    columns: entries.map(([, column]) => quote(column)),
    params: entries.map(([api]) => values[api] ?? null),
  };
}

export class Repository {
  constructor(
    private readonly pool: Pool,
    private readonly observer?: WriteObserver,
  ) {}

  /** The account an email names, whatever its case (a unique index on `lower(email)`). */
  async findUserByEmail(
    email: string,
  ): Promise<(Account & { hashed_password: string }) | undefined> {
    const { rows } = await this.pool.query<Account & { hashed_password: string }>(
      'SELECT id, email, hashed_password, token_version FROM users WHERE lower(email) = lower($1)',
      [email.trim()],
    );
    return rows[0];
  }

  async findUserById(id: number): Promise<Account | undefined> {
    if (!Number.isSafeInteger(id) || id < 1 || id > 2_147_483_647) return undefined;
    const { rows } = await this.pool.query<Account>(
      'SELECT id, email, token_version FROM users WHERE id = $1',
      [id],
    );
    return rows[0];
  }

  /**
   * Creates the user, or returns undefined when the email is taken in any
   * case (race-free: the unique index on `lower(email)` decides).
   */
  async createUser(email: string, hashedPassword: string): Promise<Account | undefined> {
    const { rows } = await this.pool.query<Account>(
      `INSERT INTO users (email, hashed_password) VALUES ($1, $2)
       ON CONFLICT ((lower(email))) DO NOTHING RETURNING id, email, token_version`,
      [email, hashedPassword],
    );
    return rows[0];
  }

  /** Revokes every token of the account: their version no longer matches. */
  async bumpTokenVersion(id: number): Promise<void> {
    await this.pool.query('UPDATE users SET token_version = token_version + 1 WHERE id = $1', [id]);
  }

  async getOnboarding(userId: number): Promise<Row | undefined> {
    const { rows } = await this.pool.query(
      `SELECT ${ONBOARDING_SELECT} FROM onboarding WHERE user_id = $1`,
      [userId],
    );
    return rows[0];
  }

  /** Inserts the user's onboarding; undefined when one already exists. */
  createOnboarding(userId: number, values: OnboardingValues): Promise<Row | undefined> {
    const { columns, params } = assignments(ONBOARDING_COLUMNS, values);
    const placeholders = columns.map((_, i) => `$${i + 2}`).join(', ');
    return this.writeForUser(
      userId,
      `INSERT INTO onboarding (user_id, ${columns.join(', ')}) VALUES ($1, ${placeholders})
       ON CONFLICT (user_id) DO NOTHING RETURNING ${ONBOARDING_SELECT}`,
      [userId, ...params],
    );
  }

  /** Replaces every field of the user's onboarding (omitted ones become null); undefined when none. */
  updateOnboarding(userId: number, values: OnboardingValues): Promise<Row | undefined> {
    const { columns, params } = assignments(ONBOARDING_COLUMNS, values);
    const set = columns.map((c, i) => `${c} = $${i + 2}`).join(', ');
    return this.writeForUser(
      userId,
      `UPDATE onboarding SET ${set}, updated_at = now() WHERE user_id = $1
       RETURNING ${ONBOARDING_SELECT}`,
      [userId, ...params],
    );
  }

  async listFoodLogs(userId: number): Promise<Row[]> {
    const { rows } = await this.pool.query(
      `SELECT ${FOOD_LOG_SELECT} FROM food_logs WHERE user_id = $1 ORDER BY id`,
      [userId],
    );
    return rows;
  }

  /** Food logs whose timestamp falls in [from, to). */
  async foodLogsBetween(userId: number, from: string, to: string): Promise<Row[]> {
    const { rows } = await this.pool.query(
      `SELECT ${FOOD_LOG_SELECT} FROM food_logs
       WHERE user_id = $1 AND "timestamp" >= $2 AND "timestamp" < $3 ORDER BY id`,
      [userId, from, to],
    );
    return rows;
  }

  /** Inserts a food log; a missing timestamp means now. */
  async createFoodLog(userId: number, values: FoodLogValues): Promise<Row> {
    const { columns, params } = assignments(FOOD_LOG_COLUMNS, values);
    const placeholders = columns.map((c, i) =>
      c === '"timestamp"' ? `COALESCE($${i + 2}::timestamptz, now())` : `$${i + 2}`,
    );
    const row = await this.writeForUser(
      userId,
      `INSERT INTO food_logs (user_id, ${columns.join(', ')}) VALUES ($1, ${placeholders.join(', ')})
       RETURNING ${FOOD_LOG_SELECT}`,
      [userId, ...params],
    );
    return row!;
  }

  async listWorkoutLogs(userId: number): Promise<Row[]> {
    const { rows } = await this.pool.query(
      `SELECT ${WORKOUT_LOG_SELECT} FROM workout_logs WHERE user_id = $1 ORDER BY id`,
      [userId],
    );
    return rows;
  }

  /** Workouts whose date falls in [from, to). */
  async workoutsBetween(userId: number, from: string, to: string): Promise<Row[]> {
    const { rows } = await this.pool.query(
      `SELECT ${WORKOUT_LOG_SELECT} FROM workout_logs
       WHERE user_id = $1 AND date >= $2 AND date < $3 ORDER BY id`,
      [userId, from, to],
    );
    return rows;
  }

  /** Inserts a workout log; a missing date means now. */
  async createWorkoutLog(userId: number, values: WorkoutLogValues): Promise<Row> {
    const { columns, params } = assignments(WORKOUT_LOG_COLUMNS, values);
    const placeholders = columns.map((c, i) =>
      c === '"date"' ? `COALESCE($${i + 2}::timestamptz, now())` : `$${i + 2}`,
    );
    const row = await this.writeForUser(
      userId,
      `INSERT INTO workout_logs (user_id, ${columns.join(', ')}) VALUES ($1, ${placeholders.join(', ')})
       RETURNING ${WORKOUT_LOG_SELECT}`,
      [userId, ...params],
    );
    return row!;
  }

  /**
   * Runs a one-row write (`sql` ends in RETURNING) as one statement that also
   * announces it on the cache channel: PostgreSQL delivers the notification
   * to every replica's listener if, and only if, the write commits (a single
   * statement is its own transaction; one round trip instead of four).
   */
  private async writeForUser(
    userId: number,
    sql: string,
    params: unknown[],
  ): Promise<Row | undefined> {
    const n = params.length;
    const statement = `WITH written AS (${sql}),
      announced AS (SELECT pg_notify($${n + 1}, $${n + 2}) WHERE EXISTS (SELECT 1 FROM written))
      SELECT written.* FROM written, announced`;
    const payload = String(userId);
    const client = await this.pool.connect();
    const backendPid = (client as { processID?: number }).processID ?? 0;
    let broken: Error | undefined;
    let rows: Row[];
    this.observer?.committing(userId, backendPid);
    try {
      ({ rows } = await client.query(statement, [...params, CACHE_CHANNEL, payload]));
    } catch (error) {
      // A connection that timed out or broke is destroyed (PostgreSQL ends what it was doing
      // with the session); a statement that failed left nothing behind (it was its own transaction).
      if (isDatabaseUnavailable(error)) broken = error as Error;
      // Failed, or unknown (the connection broke after the commit): invalidate anyway.
      await this.observer?.settled(userId, backendPid, 'unknown');
      throw error;
    } finally {
      client.release(broken);
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
