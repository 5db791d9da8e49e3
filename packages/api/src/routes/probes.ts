import { Router } from 'express';
import type { ApiContext } from '../context';
import { methodNotAllowed } from '../http';

/**
 * Liveness (`GET /health`): answers as long as the process can serve HTTP,
 * whatever PostgreSQL and Redis do, so a database outage never restarts pods.
 * Readiness (`GET /ready`): 200 when PostgreSQL answers and the replica is not
 * shutting down; the body also reports the cache, which never makes it fail.
 */
export function probeRoutes(ctx: ApiContext): Router {
  const router = Router();
  router
    .route(ctx.healthPath)
    .get((_req, res) => {
      res.json({ status: 'ok' });
    })
    .all(methodNotAllowed(['GET']));
  router
    .route(ctx.readyPath)
    .get(async (_req, res) => {
      const report = await ctx.readiness();
      res.status(report.ready ? 200 : 503).json(report.body);
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
