import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import { jsonBody } from '../body';
import { utcDay } from '../calculations';
import { caller, type ApiContext } from '../context';
import { sendCached } from '../cached-response';
import { HttpError, methodNotAllowed } from '../http';
import {
  foodLogBody,
  onboardingBody,
  parseBody,
  parsePathId,
  RequestValidationError,
  workoutLogBody,
  type ValidationIssue,
} from '../validation';
import { authenticate } from './auth';

/**
 * Resolves `{user_id}` and the body in the original's order: a malformed path
 * or body is 422 (all problems at once), then another user's id is 403.
 */
function ownRequest<S extends z.ZodType>(
  req: Request,
  res: Response,
  schema?: S,
): { userId: number; body: z.output<S> } {
  const issues: ValidationIssue[] = [];
  const collect = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof RequestValidationError)) throw error;
      issues.push(...error.issues);
      return undefined;
    }
  };
  const userId = collect(() => parsePathId('user_id', String(req.params.user_id)));
  const body = schema ? collect(() => parseBody(schema, req.body)) : undefined;
  if (issues.length > 0) throw new RequestValidationError(issues);
  if (userId !== caller(res).id) throw new HttpError(403, 'Not authorized');
  return { userId: userId!, body: body as z.output<S> };
}

/** `/users/{user_id}/onboarding`, `/food-logs` and `/workout-logs`, the caller's own data only. */
export function userRoutes(ctx: ApiContext): Router {
  const router = Router();
  const auth = authenticate(ctx);
  const json = jsonBody('64kb');
  const { repository, cache } = ctx;
  const onboarding = () => onboardingBody(utcDay(ctx.now()));

  /** A cached per-user list or record; `undefined` from `load` means 404 `notFound`. */
  const cachedRead = async (
    req: Request,
    res: Response,
    userId: number,
    kind: string,
    load: () => Promise<unknown>,
    notFound?: string,
  ) => {
    const { response, outcome } = await cache.lookup(userId, kind, async () => {
      const value = await load();
      return value === undefined ? undefined : JSON.stringify(value);
    });
    if (response === undefined) {
      res.setHeader('X-Cache', outcome);
      throw new HttpError(404, notFound ?? 'Not Found');
    }
    sendCached(req, res, response, outcome);
  };

  /**
   * After a committed write. The repository has already brought this
   * replica's cache up to date (see ResponseCache.written); the others hear the NOTIFY.
   */
  const written = (res: Response, status: number, row: unknown) => {
    res.status(status).json(row);
  };

  router
    .route('/users/:user_id/onboarding')
    .post(auth, json, async (req, res: Response) => {
      const { userId, body } = ownRequest(req, res, onboarding());
      const row = await repository.createOnboarding(userId, body);
      if (!row) throw new HttpError(400, 'Onboarding already exists');
      written(res, 201, row);
    })
    .get(auth, async (req, res: Response) => {
      const { userId } = ownRequest(req, res);
      await cachedRead(
        req,
        res,
        userId,
        'onboarding',
        () => repository.getOnboarding(userId),
        'Onboarding not found',
      );
    })
    .put(auth, json, async (req, res: Response) => {
      const { userId, body } = ownRequest(req, res, onboarding());
      const row = await repository.updateOnboarding(userId, body);
      if (!row) throw new HttpError(404, 'Onboarding not found');
      written(res, 200, row);
    })
    .all(methodNotAllowed(['GET', 'POST', 'PUT']));

  router
    .route('/users/:user_id/food-logs')
    .post(auth, json, async (req, res: Response) => {
      const { userId, body } = ownRequest(req, res, foodLogBody);
      written(res, 201, await repository.createFoodLog(userId, body));
    })
    .get(auth, async (req, res: Response) => {
      const { userId } = ownRequest(req, res);
      await cachedRead(req, res, userId, 'food-logs', () => repository.listFoodLogs(userId));
    })
    .all(methodNotAllowed(['GET', 'POST']));

  router
    .route('/users/:user_id/workout-logs')
    .post(auth, json, async (req, res: Response) => {
      const { userId, body } = ownRequest(req, res, workoutLogBody);
      written(res, 201, await repository.createWorkoutLog(userId, body));
    })
    .get(auth, async (req, res: Response) => {
      const { userId } = ownRequest(req, res);
      await cachedRead(req, res, userId, 'workout-logs', () => repository.listWorkoutLogs(userId));
    })
    .all(methodNotAllowed(['GET', 'POST']));

  return router;
}
