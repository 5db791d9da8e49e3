import { Router, type Response } from 'express';
import { calculateGoals, GoalsError, utcDay, type BiometricProfile } from '../calculations';
import { caller, type ApiContext } from '../context';
import { sendCached } from '../cached-response';
import { HttpError, methodNotAllowed } from '../http';
import type { Row } from '../repository';
import { authenticate } from './auth';

const sum = (rows: readonly Row[], field: string) =>
  rows.reduce((total, row) => total + ((row[field] as number | null) ?? 0), 0);

/** The dashboard's JSON for the caller's UTC day `today`, from PostgreSQL. */
async function loadDashboard(
  ctx: ApiContext,
  userId: number,
  now: Date,
  today: string,
): Promise<string> {
  const tomorrow = utcDay(
    new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1)),
  );
  const from = `${today}T00:00:00Z`;
  const to = `${tomorrow}T00:00:00Z`;
  // One round trip: the logs are read alongside the profile (wasted only on a 404).
  const [onboarding, foodLogs, workouts] = await Promise.all([
    ctx.repository.getOnboarding(userId),
    ctx.repository.foodLogsBetween(userId, from, to),
    ctx.repository.workoutsBetween(userId, from, to),
  ]);
  if (!onboarding) throw new HttpError(404, 'Onboarding data not found');
  let goals;
  try {
    goals = calculateGoals(onboarding as unknown as BiometricProfile, today);
  } catch (error) {
    if (error instanceof GoalsError) throw new HttpError(400, error.message);
    throw error;
  }
  return JSON.stringify({
    goals,
    intake_today: {
      calories: sum(foodLogs, 'calories'),
      protein: sum(foodLogs, 'protein'),
      carbs: sum(foodLogs, 'carbs'),
      fat: sum(foodLogs, 'fats'),
    },
    food_logs: foodLogs,
    workouts_today: workouts,
  });
}

/**
 * `GET /dashboard`: the caller's goals (BMR, TDEE, macros), today's intake,
 * today's food logs and workouts. "Today" is the UTC day; the cached entry is
 * keyed by it, so it never outlives the day it describes.
 */
export function dashboardRoutes(ctx: ApiContext): Router {
  const router = Router();
  router
    .route('/dashboard')
    .get(authenticate(ctx), (req, res: Response) => {
      const userId = caller(res).id;
      const now = ctx.now();
      const today = utcDay(now);
      const kind = `dashboard:${today}`;
      const load = () => loadDashboard(ctx, userId, now, today);
      // Most requests are hits: answered at once, without a turn of the event loop.
      const hit = ctx.cache.hit(userId, kind, load);
      if (hit !== undefined) {
        sendCached(req, res, hit, 'hit');
        return undefined;
      }
      return ctx.cache
        .lookup(userId, kind, load)
        .then(({ response, outcome }) => sendCached(req, res, response!, outcome));
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
