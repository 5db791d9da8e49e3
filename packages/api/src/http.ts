import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { isDatabaseUnavailable } from './database';
import { RequestValidationError } from './validation';
import { GateBusyError } from './work-gate';

/** An error with an HTTP status and the `detail` clients see, as FastAPI's HTTPException. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}

/** Unknown routes: 404 `{"detail":"Not Found"}`. */
export const notFound: RequestHandler = (_req, res) => {
  res.status(404).json({ detail: 'Not Found' });
};

/** A known path with another method: 405 `{"detail":"Method Not Allowed"}` and `Allow`. */
export const methodNotAllowed =
  (allowed: readonly string[]): RequestHandler =>
  (_req, res) => {
    res.setHeader('Allow', allowed.join(', '));
    res.status(405).json({ detail: 'Method Not Allowed' });
  };

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * The one place errors become responses. Clients get a status and a
 * `detail`; stack traces and SQL go to the log, with the request id, only.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof RequestValidationError) {
      res.status(422).json({ detail: error.issues });
      return;
    }
    if (error instanceof HttpError) {
      res.set(error.headers).status(error.status).json({ detail: error.detail });
      return;
    }
    if (error instanceof GateBusyError) {
      // Password hashing is saturated (see passwords.ts): shed the load, say when to return.
      ((req as { log?: Logger }).log ?? logger).warn({ reason: error.reason }, 'hashing busy');
      res.set('Retry-After', '2').status(503).json({ detail: 'Server busy; try again shortly' });
      return;
    }
    const parser = error as BodyParserError;
    if (parser?.type === 'entity.too.large') {
      res.status(413).json({ detail: 'Request body too large' });
      return;
    }
    if (typeof parser?.status === 'number' && parser.status >= 400 && parser.status < 500) {
      res.status(parser.status).json({ detail: 'Bad request body' });
      return;
    }
    const log = logger.child({ req: { id: req.id, method: req.method, url: req.originalUrl } });
    if (isDatabaseUnavailable(error)) {
      log.warn({ err: error }, 'database unavailable');
      res.set('Retry-After', '5').status(503).json({ detail: 'Service temporarily unavailable' });
      return;
    }
    log.error({ err: error }, 'unhandled error');
    res.status(500).json({ detail: 'Internal Server Error' });
  };
}
