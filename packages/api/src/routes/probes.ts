import { Router } from 'express';
import type { ApiContext } from '../context';
import { methodNotAllowed } from '../http';

/**
 * Liveness on the public port (`GET /health`): answers as long as the process
 * can serve HTTP and touches nothing else, so the pipeline's check through the
 * load balancer costs nothing a client could multiply. Readiness is not served
 * here: it lives on the probe listener (probe-listener.ts), which the public
 * Service never exposes, so no client can drive the kubelet's view of the pod.
 */
export function probeRoutes(ctx: ApiContext): Router {
  const router = Router();
  router
    .route(ctx.healthPath)
    .get((_req, res) => {
      res.json({ status: 'ok' });
    })
    .all(methodNotAllowed(['GET']));
  return router;
}
