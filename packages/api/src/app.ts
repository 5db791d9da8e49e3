import express, { type Express } from 'express';
import helmet from 'helmet';
import { accessLog } from './access-log';
import type { ApiContext } from './context';
import { errorHandler, notFound } from './http';
import { requestMetrics } from './metrics-http';
import { authRoutes } from './routes/auth';
import { dashboardRoutes } from './routes/dashboard';
import { probeRoutes } from './routes/probes';
import { userRoutes } from './routes/users';

/**
 * The Express application: request ids and JSON access logs, security
 * headers, the routes, JSON 404/405, and one error handler that never leaks
 * stack traces or SQL.
 */
export function createApp(ctx: ApiContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // req.ip is the TCP peer: X-Forwarded-For is the client's to forge, and no
  // proxy in front of the API rewrites it (the NLB preserves client addresses).
  app.set('trust proxy', false);

  // First, so that the time measured is the whole request's, and every answer is counted.
  app.use(requestMetrics(ctx.metrics.httpRequestDuration));
  app.use(accessLog(ctx.logger, [ctx.healthPath]));
  app.use(helmet());
  // Tokens and personal data must not be kept by any cache on the way (RFC 6749 §5.1, RFC 9111).
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  // Every router a request passes on its way costs it a few microseconds of matching: the
  // probes, then the hottest read (the dashboard, mostly cache hits), then the rest.
  app.use(probeRoutes(ctx));
  app.use(dashboardRoutes(ctx));
  app.use(authRoutes(ctx));
  app.use(userRoutes(ctx));

  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
