import { z } from 'zod';
import {
  calendarDate,
  decimal,
  email,
  integer,
  LATEST_DAY,
  optional,
  password,
  PASSWORD_MIN_CHARACTERS,
  text,
  timestamp,
} from './fields';
import { RequestValidationError, toValidationIssues } from './issues';

/**
 * Every request the API accepts, as zod schemas with the ranges a person can
 * have. Zero stays valid wherever the original service accepted it (its own
 * tests post zeros and placeholder strings), so the bounds start at 0.
 */

/** Short labels (names, units, categories) and free-text notes. */
const SHORT = 200;
const LONG = 2000;

export const registerBody = z.object({
  email: email(),
  password: password(PASSWORD_MIN_CHARACTERS),
});

/**
 * The OAuth2 password form. The username is any string (as the original's
 * form), bounded like an email address; the password has no minimum here so
 * that accounts made before the minimum existed can still log in.
 */
export const tokenForm = z.object({
  username: text(254),
  password: password(),
});

/** The day after `today` (`YYYY-MM-DD`): the latest birthdate, so that every time zone's today is accepted. */
function dayAfter(today: string): string {
  const next = new Date(`${today}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  const day = next.toISOString().slice(0, 10);
  return day < LATEST_DAY ? day : LATEST_DAY;
}

const onboardingFields = (today: string) => ({
  // The original required user_id in the body; the path's id wins (see README).
  user_id: optional(integer(0, 2_147_483_647)),
  name: optional(text(SHORT)),
  birthdate: optional(calendarDate(undefined, dayAfter(today))),
  sex: optional(text(SHORT)),
  height: optional(integer(0, 300)), // cm
  weight: optional(integer(0, 700)), // kg
  main_goal: optional(text(SHORT)),
  weight_target: optional(integer(0, 700)), // kg
  deadline: optional(calendarDate()),
  medical_conditions: optional(text(LONG)),
  sleep_hours: optional(decimal(0, 24)), // per night
  work_schedule: optional(text(SHORT)),
  percFat: optional(decimal(0, 100)), // %
  percMuscle: optional(decimal(0, 100)), // %
  injuryHist: optional(text(LONG)),
  expLevel: optional(text(SHORT)),
  restrictedFoods: optional(text(LONG)),
  timeAvailability: optional(text(SHORT)),
  materialAccess: optional(text(SHORT)),
});

let onboarding:
  { today: string; schema: z.ZodObject<ReturnType<typeof onboardingFields>> } | undefined;

/** The onboarding body; a birthdate may not lie after `today` (UTC, `YYYY-MM-DD`) + 1 day. */
export function onboardingBody(today: string) {
  if (onboarding?.today !== today) {
    onboarding = { today, schema: z.object(onboardingFields(today)) };
  }
  return onboarding.schema;
}

export const foodLogBody = z.object({
  food_name: text(SHORT),
  serving_size: optional(integer(0, 10_000)), // in serving_unit (g, ml, pieces)
  serving_unit: optional(text(SHORT)),
  calories: optional(integer(0, 20_000)), // kcal
  protein: optional(integer(0, 2_000)), // g
  carbs: optional(integer(0, 2_000)), // g
  fats: optional(integer(0, 2_000)), // g
  timestamp: optional(timestamp()),
});

export const workoutLogBody = z.object({
  date: optional(timestamp()),
  workout_type: optional(text(SHORT)),
  duration: optional(integer(0, 86_400)), // up to a day, in seconds (minutes fit too)
  total_distance: optional(decimal(0, 1_000)), // km
  avg_pace: optional(decimal(0, 3_600)), // per km, minutes or seconds
  avg_heart_rate: optional(integer(0, 300)), // bpm
  max_heart_rate: optional(integer(0, 300)), // bpm
  calories_burned: optional(integer(0, 20_000)), // kcal
  notes: optional(text(LONG)),
});

export type RegisterBody = z.output<typeof registerBody>;
export type TokenForm = z.output<typeof tokenForm>;
export type OnboardingBody = z.output<ReturnType<typeof onboardingBody>>;
export type FoodLogBody = z.output<typeof foodLogBody>;
export type WorkoutLogBody = z.output<typeof workoutLogBody>;

/**
 * Parses a request body: a missing body is `missing` at `["body"]` (as
 * FastAPI answers an empty one), anything else that does not fit is named
 * field by field. Throws {@link RequestValidationError} (422).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (body === undefined) {
    throw new RequestValidationError([{ type: 'missing', loc: ['body'], msg: 'Field required' }]);
  }
  const result = schema.safeParse(body, { reportInput: true });
  if (!result.success)
    throw new RequestValidationError(toValidationIssues(result.error.issues, 'body'));
  return result.data;
}

const pathId = integer(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

/** An integer path parameter such as `{user_id}`; 422 at `["path", name]` otherwise. */
export function parsePathId(name: string, raw: string): number {
  const result = pathId.safeParse(raw, { reportInput: true });
  if (!result.success) {
    const issues = toValidationIssues(result.error.issues, 'path').map((issue) => ({
      ...issue,
      loc: ['path', name],
    }));
    throw new RequestValidationError(issues);
  }
  return result.data;
}
