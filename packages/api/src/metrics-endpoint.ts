import type { ApiMetrics } from './metrics';
import type { ProbeHandler } from './probe-listener';

/**
 * The scrape, as a handler for the probe listener's `/metrics` (never on the
 * public port: the metrics name routes, pool sizes and refusal counts that
 * are no client's business, and a scrape costs the event loop a few hundred
 * microseconds that no client should be able to make it spend).
 */
export function metricsHandler(metrics: ApiMetrics): ProbeHandler {
  return async (req, res) => {
    const { contentType, body } = await metrics.scrape();
    res.writeHead(200, {
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}
