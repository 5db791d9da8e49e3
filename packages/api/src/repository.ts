import type { Pool, PoolClient } from 'pg';
import { CACHE_CHANNEL } from './invalidation';
import type { FieldSpec } from './validation';

/**
 * Every SQL statement of the API. Values only ever travel as parameters;
 * identifiers come from the constant field tables below, never from input.
 */

export interface User {
  readonly id: number;
  readonly email: string;
}

/** An API field of a table: its name in JSON, its column, and how input is validated. */
interface Field extends FieldSpec {
  readonly column: string;
}

const fields = <K extends string>(spec: Record<K, Field>) => spec;

/** Onboarding fields in the API's spelling (camelCase ones included) → column and type. */
export const ONBOARDING_FIELDS = fields({
  name: { kind: 'str', column: 'name' },
  birthdate: { kind: 'date', column: 'birthdate' },
  sex: { kind: 'str', column: 'sex' },
  height: { kind: 'int', column: 'height' },
  weight: { kind: 'int', column: 'weight' },
  main_goal: { kind: 'str', column: 'main_goal' },
  weight_target: { kind: 'int', column: 'weight_target' },
  deadline: { kind: 'date', column: 'deadline' },
  medical_conditions: { kind: 'str', column: 'medical_conditions' },
  sleep_hours: { kind: 'float', column: 'sleep_hours' },
  work_schedule: { kind: 'str', column: 'work_schedule' },
  percFat: { kind: 'float', column: 'perc_fat' },
  percMuscle: { kind: 'float', column: 'perc_muscle' },
  injuryHist: { kind: 'str', column: 'injury_hist' },
  expLevel: { kind: 'str', column: 'exp_level' },
  restrictedFoods: { kind: 'str', column: 'restricted_foods' },
  timeAvailability: { kind: 'str', column: 'time_availability' },
  materialAccess: { kind: 'str', column: 'material_access' },
});

export const FOOD_LOG_FIELDS = fields({
  food_name: { kind: 'str', column: 'food_name', required: true },
  serving_size: { kind: 'int', column: 'serving_size' },
  serving_unit: { kind: 'str', column: 'serving_unit' },
  calories: { kind: 'int', column: 'calories' },
  protein: { kind: 'int', column: 'protein' },
  carbs: { kind: 'int', column: 'carbs' },
  fats: { kind: 'int', column: 'fats' },
  timestamp: { kind: 'datetime', column: 'timestamp' },
});

export const WORKOUT_LOG_FIELDS = fields({
  date: { kind: 'datetime', column: 'date' },
  workout_type: { kind: 'str', column: 'workout_type' },
  duration: { kind: 'int', column: 'duration' },
  total_distance: { kind: 'float', column: 'total_distance' },
  avg_pace: { kind: 'float', column: 'avg_pace' },
  avg_heart_rate: { kind: 'int', column: 'avg_heart_rate' },
  max_heart_rate: { kind: 'int', column: 'max_heart_rate' },
  calories_burned: { kind: 'int', column: 'calories_burned' },
  notes: { kind: 'str', column: 'notes' },
});

type Values<F> = { readonly [K in keyof F]: unknown };
export type OnboardingValues = Values<typeof ONBOARDING_FIELDS>;
export type FoodLogValues = Values<typeof FOOD_LOG_FIELDS>;
export type WorkoutLogValues = Values<typeof WORKOUT_LOG_FIELDS>;
export type Row = Record<string, unknown>;

const quote = (identifier: string) => `"${identifier}"`;
const selectList = (spec: Record<string, Field>) =>
  [
    'id',
    'user_id',
    ...Object.entries(spec).map(([api, f]) => `${quote(f.column)} AS ${quote(api)}`),
  ].join(', ');

const ONBOARDING_SELECT = selectList(ONBOARDING_FIELDS);
const FOOD_LOG_SELECT = selectList(FOOD_LOG_FIELDS);
const WORKOUT_LOG_SELECT = selectList(WORKOUT_LOG_FIELDS);

/** Columns of `spec` that are set on insert/update, with their parameter values in order. */
function assignments(spec: Record<string, Field>, values: Record<string, unknown>) {
  const entries = Object.entries(spec);
  return {
    columns: entries.map(([, f]) => quote(f.column)),
    params: entries.map(([api]) => values[api] ?? null),
  };
}

export class Repository {
  constructor(private readonly pool: Pool) {}

  async findUserByEmail(email: string): Promise<(User & { hashed_password: string }) | undefined> {
    const { rows } = await this.pool.query<User & { hashed_password: string }>(
      'SELECT id, email, hashed_password FROM users WHERE email = $1',
      [email],
    );
    return rows[0];
  }

  /** Creates the user, or returns undefined when the email is taken (race-free: unique constraint). */
  async createUser(email: string, hashedPassword: string): Promise<User | undefined> {
    const { rows } = await this.pool.query<User>(
      `INSERT INTO users (email, hashed_password) VALUES ($1, $2)
       ON CONFLICT (email) DO NOTHING RETURNING id, email`,
      [email, hashedPassword],
    );
    return rows[0];
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
    const { columns, params } = assignments(ONBOARDING_FIELDS, values);
    const placeholders = columns.map((_, i) => `$${i + 2}`).join(', ');
    return this.writeForUser(userId, async (client) => {
      const { rows } = await client.query(
        `INSERT INTO onboarding (user_id, ${columns.join(', ')}) VALUES ($1, ${placeholders})
         ON CONFLICT (user_id) DO NOTHING RETURNING ${ONBOARDING_SELECT}`,
        [userId, ...params],
      );
      return rows[0];
    });
  }

  /** Replaces every field of the user's onboarding (omitted ones become null); undefined when none. */
  updateOnboarding(userId: number, values: OnboardingValues): Promise<Row | undefined> {
    const { columns, params } = assignments(ONBOARDING_FIELDS, values);
    const set = columns.map((c, i) => `${c} = $${i + 2}`).join(', ');
    return this.writeForUser(userId, async (client) => {
      const { rows } = await client.query(
        `UPDATE onboarding SET ${set}, updated_at = now() WHERE user_id = $1
         RETURNING ${ONBOARDING_SELECT}`,
        [userId, ...params],
      );
      return rows[0];
    });
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
    const { columns, params } = assignments(FOOD_LOG_FIELDS, values);
    const placeholders = columns.map((c, i) =>
      c === '"timestamp"' ? `COALESCE($${i + 2}::timestamptz, now())` : `$${i + 2}`,
    );
    const row = await this.writeForUser(userId, async (client) => {
      const { rows } = await client.query(
        `INSERT INTO food_logs (user_id, ${columns.join(', ')}) VALUES ($1, ${placeholders.join(', ')})
         RETURNING ${FOOD_LOG_SELECT}`,
        [userId, ...params],
      );
      return rows[0];
    });
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
    const { columns, params } = assignments(WORKOUT_LOG_FIELDS, values);
    const placeholders = columns.map((c, i) =>
      c === '"date"' ? `COALESCE($${i + 2}::timestamptz, now())` : `$${i + 2}`,
    );
    const row = await this.writeForUser(userId, async (client) => {
      const { rows } = await client.query(
        `INSERT INTO workout_logs (user_id, ${columns.join(', ')}) VALUES ($1, ${placeholders.join(', ')})
         RETURNING ${WORKOUT_LOG_SELECT}`,
        [userId, ...params],
      );
      return rows[0];
    });
    return row!;
  }

  /**
   * Runs a write in a transaction that also announces it on the cache
   * channel: PostgreSQL delivers the notification to every replica's
   * listener if, and only if, the write commits.
   */
  private async writeForUser<T>(
    userId: number,
    write: (client: PoolClient) => Promise<T | undefined>,
  ): Promise<T | undefined> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await write(client);
      if (result !== undefined) {
        await client.query('SELECT pg_notify($1, $2)', [CACHE_CHANNEL, String(userId)]);
      }
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
