import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * Bounds of the HTTP request duration histogram, seconds. An SLO's latency
 * goal must be one of them (a histogram answers "how many under X" exactly
 * only at a bound): 0.1, 0.25, 0.5 and 1 s are the likely goals.
 */
export const HTTP_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** Bounds of the PostgreSQL statement duration histogram, seconds (statements time out at 3–4 s). */
export const QUERY_DURATION_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

/** Bounds of the invalidation lag histogram, seconds. */
export const INVALIDATION_LAG_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

/** prom-client's default gauges whose names end in `_total` (a counter's suffix). */
const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

export interface ApiMetricsProps {
  /**
   * Collect Node.js's and the process's own metrics (CPU, memory, heap, GC,
   * event-loop lag, handles) on this registry.
   * @default true
   */
  readonly defaultMetrics?: boolean;
}

/**
 * The API's Prometheus metrics, on a registry of its own: two API instances
 * in one process (the tests start several) never share or clash on a series,
 * and nothing registered on prom-client's global registry by a library leaks
 * into the scrape. Counts that the API keeps anyway (cache outcomes,
 * refusals, pool sizes) are read when scraped (see metrics-sources.ts), so
 * they cost a request nothing; only the histograms below are fed per event.
 * The names, types and labels are listed in the package README.
 */
export class ApiMetrics {
  readonly registry = new Registry();

  /** Labels `method`, `route` (the route's template, `unmatched` when none), `status_code`. */
  readonly httpRequestDuration = new Histogram({
    name: 'fittech_http_request_duration_seconds',
    help: 'Time from receiving an HTTP request to sending the last byte of its response, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [...HTTP_DURATION_BUCKETS],
    registers: [this.registry],
  });

  /** Labels `statement` (the prepared statement's name, e.g. `fittech_find_user_by_id`), `outcome` (`ok` or `error`). */
  readonly queryDuration = new Histogram({
    name: 'fittech_db_query_duration_seconds',
    help: 'Duration of the API repository PostgreSQL statements (a read includes waiting for a pooled connection), by statement name and outcome.',
    labelNames: ['statement', 'outcome'] as const,
    buckets: [...QUERY_DURATION_BUCKETS],
    registers: [this.registry],
  });

  /** No labels. */
  readonly invalidationLag = new Histogram({
    name: 'fittech_cache_invalidation_lag_seconds',
    help: "Time from sending one of this replica's writes to hearing its cache invalidation notification on the LISTEN connection (the path every replica's invalidations take).",
    buckets: [...INVALIDATION_LAG_BUCKETS],
    registers: [this.registry],
  });

  constructor(props: ApiMetricsProps = {}) {
    if (props.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters, which Prometheus's own lint (`promtool check metrics`)
      // refuses; their per-type siblings (`nodejs_active_handles{type}`, …) sum to the same.
      for (const misnamed of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(misnamed);
    }
  }

  /** The scrape: Prometheus's text format and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** A {@link QueryTiming} for the repository that feeds {@link queryDuration}. */
  readonly timeQuery = (statement: string, seconds: number, ok: boolean): void => {
    this.queryDuration.observe({ statement, outcome: ok ? 'ok' : 'error' }, seconds);
  };
}
