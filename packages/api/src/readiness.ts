import type { Readiness } from './context';

/** One answer of the dependency check: whether PostgreSQL answered. */
export type DatabaseState = 'ok' | 'unreachable';

export interface CoalescedReadinessOptions {
  /** Runs the check against PostgreSQL (a `SELECT 1` on the probe's own connection), bounded by its caller. */
  readonly checkDatabase: () => Promise<DatabaseState>;
  /** The cache's state, reported but never failing readiness (it degrades to PostgreSQL). */
  readonly cacheReport: () => Record<string, unknown>;
  /** True once the replica is shutting down: readiness fails at once, without a check. */
  readonly shuttingDown: () => boolean;
  /**
   * How long a check's answer is reused, ms. The kubelet asks every 5 s; a scraper or a
   * second probe within this reuses the last answer instead of querying PostgreSQL again.
   * @default 1000
   */
  readonly ttlMillis?: number;
  /** @default the monotonic clock */
  readonly now?: () => number;
}

/**
 * Readiness that no caller can turn into database work: at most one check is
 * in flight (everyone asking meanwhile waits for that one), and its answer is
 * reused for `ttlMillis`. However many requests arrive, PostgreSQL sees at
 * most one `SELECT 1` per TTL from this replica.
 */
export class CoalescedReadiness {
  private readonly ttlMillis: number;
  private readonly now: () => number;
  private inFlight: Promise<DatabaseState> | undefined;
  private last: { state: DatabaseState; at: number } | undefined;
  /** Checks actually run against PostgreSQL (the coalescing is tested by it). */
  checks = 0;

  constructor(private readonly options: CoalescedReadinessOptions) {
    this.ttlMillis = options.ttlMillis ?? 1000;
    this.now = options.now ?? (() => performance.now());
  }

  async report(): Promise<Readiness> {
    if (this.options.shuttingDown()) {
      return {
        ready: false,
        body: { status: 'shutting_down', cache: this.options.cacheReport() },
      };
    }
    const database = await this.database();
    // Shutdown may have begun while the check ran.
    const ready = database === 'ok' && !this.options.shuttingDown();
    return {
      ready,
      body: { status: ready ? 'ready' : 'unready', database, cache: this.options.cacheReport() },
    };
  }

  private database(): Promise<DatabaseState> {
    if (this.last && this.now() - this.last.at < this.ttlMillis) {
      return Promise.resolve(this.last.state);
    }
    this.inFlight ??= (async () => {
      this.checks += 1;
      try {
        const state = await this.options.checkDatabase().catch((): DatabaseState => 'unreachable');
        // The answer is as old as the check's end: a slow check is not reused for longer.
        this.last = { state, at: this.now() };
        return state;
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }
}
