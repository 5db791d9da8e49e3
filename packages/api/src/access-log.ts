import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/** An incoming `X-Request-Id` is kept when it is short and plain; otherwise a UUID is made. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (`X-Request-Id`), set by {@link accessLog}. */
    id?: string;
  }
}

function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/**
 * The URL with every query value replaced: a client may put a password or a
 * token in a query string (`?access_token=…`), and access logs are kept and
 * shipped; the parameter names stay for debugging.
 */
export function redactQuery(url: string): string {
  const query = url.indexOf('?');
  if (query < 0) return url;
  const redacted = url
    .slice(query + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      return eq < 0 ? pair : `${pair.slice(0, eq)}=[redacted]`;
    })
    .join('&');
  return `${url.slice(0, query)}?${redacted}`;
}

/**
 * Request ids and one JSON access line per request, written when the
 * response is done: `req` (id, method, url, remote address), `res`
 * (statusCode), `responseTime` in ms. Probes log at `debug`, 5xx at `error`,
 * the rest at `info`. Nothing is built for a line whose level is off, and no
 * per-request child logger is made (the error handler makes one when it
 * needs it): this runs on every request, the cache hits included.
 */
export function accessLog(logger: Logger, probePaths: readonly string[]): RequestHandler {
  const probes = new Set(probePaths);
  // The line's fields are the ones below and no others, none of them a secret: the logger's
  // redaction (wildcard paths, about 4 µs a line, paid by every request) would find nothing,
  // so the access lines go through a child without it.
  const lines = logger.child({}, { redact: { paths: [] } });
  return (req, res, next) => {
    const started = performance.now();
    req.id = requestId(req, res);
    res.once('close', () => {
      const status = res.statusCode;
      const query = req.url.indexOf('?');
      const path = query < 0 ? req.url : req.url.slice(0, query);
      const level = probes.has(path) ? 'debug' : status >= 500 ? 'error' : 'info';
      if (!lines.isLevelEnabled(level)) return;
      lines[level](
        {
          req: {
            id: req.id,
            method: req.method,
            url: redactQuery(req.originalUrl),
            remoteAddress: req.socket.remoteAddress,
          },
          res: { statusCode: status },
          responseTime: Math.round(performance.now() - started),
        },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    });
    next();
  };
}
