import type { Pool } from 'pg';
import { Counter, Gauge } from 'prom-client';
import type { ResponseCache } from './cache';
import type { InvalidationListener } from './invalidation';
import type { ApiMetrics } from './metrics';
import type { Passwords } from './passwords';
import type { RateLimits } from './rate-limits';

/** The parts of a running API whose state the metrics report. */
export interface MetricSources {
  /** PostgreSQL pools by the `pool` label they get (`requests`, `readiness`). */
  readonly pools: Readonly<Record<string, Pool>>;
  readonly cache: ResponseCache;
  readonly listener: InvalidationListener;
  readonly passwords: Passwords;
  readonly rateLimits: RateLimits;
}

/** Label values of `fittech_cache_invalidations_received_total{kind}`, by the listener's event. */
const INVALIDATION_KINDS = {
  invalidated: 'other_replica',
  echo: 'own_write',
  flushed: 'flush_all',
  account: 'account',
} as const;

/**
 * Registers the metrics read from `sources` when Prometheus scrapes: counts
 * the API keeps anyway (cache outcomes, refusals) and states (pool sizes,
 * queue lengths) cost requests nothing this way. The invalidation
 * notifications are counted as the listener reports them (one per write, not
 * per request). Every label value comes from a fixed set.
 */
export function observeSources(metrics: ApiMetrics, sources: MetricSources): void {
  const registers = [metrics.registry];
  const { cache, listener, passwords, rateLimits } = sources;
  const pools = Object.entries(sources.pools);
  const bit = (on: boolean) => (on ? 1 : 0);

  // A counter set from a count kept elsewhere: reset, then raised to the count at each scrape.
  const mirrored = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () => [Partial<Record<L, string>>, number][],
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [labels, value] of read()) this.inc(labels, value);
      },
    });
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    read: () => [Partial<Record<L, string>>, number][],
  ) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        for (const [labels, value] of read()) this.set(labels, value);
      },
    });

  // The cache: outcomes, failures, and whether it is in play at all.
  mirrored(
    'fittech_cache_lookups_total',
    'Cached reads by outcome: hit, miss (loaded from PostgreSQL and stored), coalesced (shared a concurrent load), bypass (cache out of play).',
    ['outcome'],
    () => [
      [{ outcome: 'hit' }, cache.stats.hits],
      [{ outcome: 'miss' }, cache.stats.misses],
      [{ outcome: 'coalesced' }, cache.stats.coalesced],
      [{ outcome: 'bypass' }, cache.stats.bypasses],
    ],
  );
  mirrored(
    'fittech_cache_errors_total',
    'Redis commands that failed or timed out (each one fell through to PostgreSQL).',
    [],
    () => [[{}, cache.stats.errors]],
  );
  mirrored(
    'fittech_cache_refreshes_total',
    "Entries recomputed right after one of this replica's writes, before the write was answered.",
    [],
    () => [[{}, cache.stats.refreshed]],
  );
  gauge(
    'fittech_cache_enabled',
    '1 when reads use the cache (Redis connected and invalidations heard), 0 when they bypass it.',
    [],
    () => [[{}, bit(cache.usable)]],
  );
  gauge('fittech_cache_redis_up', '1 when Redis answers commands.', [], () => [
    [{}, bit(cache.redisState === 'ok')],
  ]);

  // Coherence: the LISTEN connection, what it hears, and how late.
  gauge(
    'fittech_cache_invalidation_listening',
    "1 while the replica LISTENs for other replicas' writes (otherwise the cache is bypassed).",
    [],
    () => [[{}, bit(listener.state === 'listening')]],
  );
  const received = new Counter({
    name: 'fittech_cache_invalidations_received_total',
    help: "Invalidation notifications heard on the LISTEN connection, by kind: other_replica (another replica's write), own_write (this replica's, already applied), flush_all, account (an account changed).",
    labelNames: ['kind'] as const,
    registers,
  });
  const losses = new Counter({
    name: 'fittech_cache_invalidation_connection_losses_total',
    help: 'Times the LISTEN connection was lost (the cache is bypassed until it is back).',
    registers,
  });
  for (const kind of Object.values(INVALIDATION_KINDS)) received.inc({ kind }, 0);
  for (const [event, kind] of Object.entries(INVALIDATION_KINDS)) {
    const child = received.labels({ kind });
    listener.on(event, () => child.inc());
  }
  listener.on('echo', (_userId: number, lagSeconds: number) =>
    metrics.invalidationLag.observe(lagSeconds),
  );
  listener.on('lost', () => losses.inc());

  // PostgreSQL pools.
  const perPool = (read: (pool: Pool) => number) => () =>
    pools.map(([name, pool]): [{ pool: string }, number] => [{ pool: name }, read(pool)]);
  gauge(
    'fittech_db_pool_connections',
    'Open PostgreSQL connections of the pool (idle and in use).',
    ['pool'],
    perPool((p) => p.totalCount),
  );
  gauge(
    'fittech_db_pool_idle_connections',
    'Open PostgreSQL connections of the pool that are idle.',
    ['pool'],
    perPool((p) => p.idleCount),
  );
  gauge(
    'fittech_db_pool_waiting_requests',
    'Queries waiting for a connection of the pool (all connections in use).',
    ['pool'],
    perPool((p) => p.waitingCount),
  );
  gauge(
    'fittech_db_pool_max_connections',
    'The most connections the pool opens (DB_POOL_MAX for the requests pool).',
    ['pool'],
    perPool((p) => p.options.max),
  );

  // The password-hashing gate (see work-gate.ts).
  gauge(
    'fittech_password_hashing_running',
    'Password hashes and verifications running now.',
    [],
    () => [[{}, passwords.load.running]],
  );
  gauge(
    'fittech_password_hashing_waiting',
    'Password hashes and verifications waiting for a slot (the queue).',
    [],
    () => [[{}, passwords.load.waiting]],
  );
  mirrored(
    'fittech_password_hashing_refusals_total',
    'Requests refused with 503 because password hashing was saturated, by reason: queue_full, wait_exceeded.',
    ['reason'],
    () => [
      [{ reason: 'queue_full' }, passwords.refusals['queue full']],
      [{ reason: 'wait_exceeded' }, passwords.refusals['wait exceeded']],
    ],
  );

  // Login and registration limits.
  mirrored(
    'fittech_rate_limit_refusals_total',
    'Attempts refused with 429, by the limit that refused them: login-address, login-account, register-address.',
    ['limit'],
    () =>
      Object.entries(rateLimits.refusals).map(([limit, count]): [{ limit: string }, number] => [
        { limit },
        count,
      ]),
  );
}
