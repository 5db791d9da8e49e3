import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Readiness } from './context';

/** Where a scraper reads the metrics on the probe listener. */
export const METRICS_PATH = '/metrics';

/** A handler mounted on the probe listener (the metrics exposition, for one). */
export type ProbeHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface ProbeListenerOptions {
  /** Liveness: answers while the process serves HTTP, whatever PostgreSQL and Redis do. */
  readonly healthPath: string;
  /** Readiness: the (coalesced, cached) dependency check. */
  readonly readyPath: string;
  readonly readiness: () => Promise<Readiness>;
  readonly logger: Logger;
}

/**
 * The API's second listener, on `METRICS_PORT` (the pod's port named
 * `metrics`, which the public Service never exposes): liveness, readiness
 * and, once mounted, the metrics, for the kubelet and a scraper only. A plain
 * `node:http` server with nothing a client can make expensive: it never reads
 * a body, serves three paths, and answers everything else 404/405 at once.
 */
export class ProbeListener {
  readonly server: Server;
  private readonly routes = new Map<string, ProbeHandler>();

  constructor(private readonly options: ProbeListenerOptions) {
    this.routes.set(options.healthPath, (_req, res) => json(res, 200, { status: 'ok' }));
    this.routes.set(options.readyPath, async (_req, res) => {
      const report = await options.readiness();
      json(res, report.ready ? 200 : 503, report.body);
    });
    this.server = createServer(
      // Probes are small and local: a client that trickles headers is cut early.
      { headersTimeout: 5_000, requestTimeout: 5_000, maxHeaderSize: 8 * 1024 },
      (req, res) => void this.handle(req, res),
    );
    this.server.keepAliveTimeout = 5_000;
    this.server.maxHeadersCount = 64;
  }

  /**
   * Mounts the metrics exposition at {@link METRICS_PATH} (e.g. a prom-client
   * registry's `metrics()` written with its content type). `startApi` mounts
   * the API's own registry (metrics-endpoint.ts); until one is mounted the path
   * answers 404.
   */
  serveMetrics(handler: ProbeHandler): void {
    this.routes.set(METRICS_PATH, handler);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A body is never read here; the connection is closed after the answer instead.
    if (req.headers['content-length'] || req.headers['transfer-encoding']) {
      res.setHeader('Connection', 'close');
    }
    const query = req.url?.indexOf('?') ?? -1;
    const path = query < 0 ? req.url : req.url!.slice(0, query);
    const route = path === undefined ? undefined : this.routes.get(path);
    if (!route) return json(res, 404, { detail: 'Not Found' });
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return json(res, 405, { detail: 'Method Not Allowed' });
    }
    try {
      await route(req, res);
    } catch (error) {
      this.options.logger.error({ err: error, path }, 'probe listener: handler failed');
      if (!res.headersSent) json(res, 500, { detail: 'Internal Server Error' });
      else res.destroy();
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}
