import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import type { ApiContext } from './context';
import { errorHandler, notFound } from './http';
import { authRoutes } from './routes/auth';
import { dashboardRoutes } from './routes/dashboard';
import { probeRoutes } from './routes/probes';
import { userRoutes } from './routes/users';

/** An incoming `X-Request-Id` is kept when it is short and plain; otherwise a UUID is made. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

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

  const probes = new Set([ctx.healthPath, ctx.readyPath]);
  app.use(
    pinoHttp({
      logger: ctx.logger,
      genReqId: requestId,
      customLogLevel: (req, res, error) => {
        // Probes run every few seconds: keep them out of the info stream.
        if (probes.has((req.url ?? '').split('?')[0]!)) return 'debug';
        return error || res.statusCode >= 500 ? 'error' : 'info';
      },
      // The error handler logs the real error once; the access line needs no synthetic one.
      customErrorObject: (_req, _res, _error, value: Record<string, unknown>) => {
        const { err: _err, ...rest } = value;
        return rest;
      },
      serializers: {
        req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
          remoteAddress: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
    }),
  );
  app.use(helmet());
  // Tokens and personal data must not be kept by any cache on the way (RFC 6749 §5.1, RFC 9111).
  app.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  app.use(probeRoutes(ctx));
  app.use(authRoutes(ctx));
  app.use(userRoutes(ctx));
  app.use(dashboardRoutes(ctx));

  app.use(notFound);
  app.use(errorHandler(ctx.logger));
  return app;
}
