import type { Request, RequestHandler } from 'express';
import type { Histogram, LabelValues } from 'prom-client';

/** The `route` label of a request no route matched (404s of unknown paths, scanners). */
export const UNMATCHED_ROUTE = 'unmatched';

/** Methods that get a label value of their own; any other is counted as `OTHER`. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

type RequestLabels = 'method' | 'route' | 'status_code';

/**
 * The template of the route that handled `req` (`/users/:user_id/food-logs`),
 * never the path it was asked for: a label value per user id or per probe
 * of a scanner would grow the series without bound. The routers are mounted
 * at the root, so the route's own path is the whole template.
 */
export function routeTemplate(req: Request): string {
  const path = (req as { route?: { path?: unknown } }).route?.path;
  return typeof path === 'string' ? req.baseUrl + path : UNMATCHED_ROUTE;
}

/**
 * Times every request into `histogram` (method, route template, status code)
 * when its response has been sent. Requests whose client went away before the
 * response was complete are not counted (they have no status a client saw).
 * Per request this costs a timestamp, one listener and a Map lookup: the
 * labelled child is looked up once per (method, route, status) and kept.
 */
export function requestMetrics(histogram: Histogram<RequestLabels>): RequestHandler {
  const children = new Map<string, Histogram.Internal<RequestLabels>>();
  const child = (labels: LabelValues<RequestLabels>) => {
    const key = `${labels.method} ${labels.route} ${labels.status_code}`;
    let found = children.get(key);
    if (found === undefined) {
      found = histogram.labels(labels);
      children.set(key, found);
    }
    return found;
  };
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      child({
        method: KNOWN_METHODS.has(req.method) ? req.method : 'OTHER',
        route: routeTemplate(req),
        status_code: String(res.statusCode),
      }).observe((performance.now() - started) / 1000);
    });
    next();
  };
}
