import express, { Router, type Request, type Response } from 'express';
import { caller, type ApiContext } from '../context';
import { HttpError, methodNotAllowed, sendJson } from '../http';
import {
  FOOD_LOG_FIELDS,
  ONBOARDING_FIELDS,
  WORKOUT_LOG_FIELDS,
  type FoodLogValues,
  type OnboardingValues,
  type WorkoutLogValues,
} from '../repository';
import {
  pathInt,
  RequestValidationError,
  validateBody,
  type Schema,
  type ValidationIssue,
} from '../validation';
import { authenticate } from './auth';

/** The onboarding body may carry `user_id` (the original required it); the path wins. */
const ONBOARDING_BODY: Schema = { user_id: { kind: 'int' }, ...ONBOARDING_FIELDS };

/**
 * Resolves `{user_id}` and the body in the original's order: a malformed path
 * or body is 422 (all problems at once), then another user's id is 403.
 */
function ownRequest<B>(req: Request, res: Response, schema?: Schema): { userId: number; body: B } {
  const issues: ValidationIssue[] = [];
  const path = pathInt('user_id', String(req.params.user_id));
  if ('issue' in path) issues.push(path.issue);
  let body = {} as B;
  if (schema) {
    const result = validateBody(req.body, schema);
    issues.push(...result.issues);
    body = result.value as B;
  }
  if (issues.length > 0) throw new RequestValidationError(issues);
  const userId = (path as { value: number }).value;
  if (userId !== caller(res).id) throw new HttpError(403, 'Not authorized');
  return { userId, body };
}

/** `/users/{user_id}/onboarding`, `/food-logs` and `/workout-logs`, the caller's own data only. */
export function userRoutes(ctx: ApiContext): Router {
  const router = Router();
  const auth = authenticate(ctx);
  const json = express.json({ limit: '64kb' });
  const { repository, cache } = ctx;

  /** A cached per-user list or record; `undefined` from `load` means 404 `notFound`. */
  const cachedRead = async (
    res: Response,
    userId: number,
    kind: string,
    load: () => Promise<unknown>,
    notFound?: string,
  ) => {
    const { body, outcome } = await cache.read(userId, kind, async () => {
      const value = await load();
      return value === undefined ? undefined : JSON.stringify(value);
    });
    res.setHeader('X-Cache', outcome);
    if (body === undefined) throw new HttpError(404, notFound ?? 'Not Found');
    sendJson(res, 200, body);
  };

  /** After a committed write: this replica forgets at once; the others hear the NOTIFY. */
  const written = (res: Response, status: number, userId: number, row: unknown) => {
    cache.invalidateUser(userId);
    res.status(status).json(row);
  };

  router
    .route('/users/:user_id/onboarding')
    .post(auth, json, async (req, res: Response) => {
      const { userId, body } = ownRequest<OnboardingValues>(req, res, ONBOARDING_BODY);
      const row = await repository.createOnboarding(userId, body);
      if (!row) throw new HttpError(400, 'Onboarding already exists');
      written(res, 201, userId, row);
    })
    .get(auth, async (req, res: Response) => {
      const { userId } = ownRequest(req, res);
      await cachedRead(
        res,
        userId,
        'onboarding',
        () => repository.getOnboarding(userId),
        'Onboarding not found',
      );
    })
    .put(auth, json, async (req, res: Response) => {
      const { userId, body } = ownRequest<OnboardingValues>(req, res, ONBOARDING_BODY);
      const row = await repository.updateOnboarding(userId, body);
      if (!row) throw new HttpError(404, 'Onboarding not found');
      written(res, 200, userId, row);
    })
    .all(methodNotAllowed(['GET', 'POST', 'PUT']));

  router
    .route('/users/:user_id/food-logs')
    .post(auth, json, async (req, res: Response) => {
      const { userId, body } = ownRequest<FoodLogValues>(req, res, FOOD_LOG_FIELDS);
      written(res, 201, userId, await repository.createFoodLog(userId, body));
    })
    .get(auth, async (req, res: Response) => {
      const { userId } = ownRequest(req, res);
      await cachedRead(res, userId, 'food-logs', () => repository.listFoodLogs(userId));
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/users/:user_id/workout-logs')
    .post(auth, json, async (req, res: Response) => {
      const { userId, body } = ownRequest<WorkoutLogValues>(req, res, WORKOUT_LOG_FIELDS);
      written(res, 201, userId, await repository.createWorkoutLog(userId, body));
    })
    .get(auth, async (req, res: Response) => {
      const { userId } = ownRequest(req, res);
      await cachedRead(res, userId, 'workout-logs', () => repository.listWorkoutLogs(userId));
    })
    .all(methodNotAllowed(['GET', 'POST']));

  return router;
}
