/**
 * The one wait-and-retry helper of the platform: polling a load balancer,
 * health checks with backoff, waiting for a server to come up. Time and sleep
 * are injectable, so tests check the schedule without waiting.
 */
export interface RetryOptions {
  /** At most this many attempts (default: unlimited, then `timeoutMs` must be set). */
  readonly attempts?: number;
  /** No new attempt starts once this much time would have passed by the end of the next wait. */
  readonly timeoutMs?: number;
  /** The wait after failed attempt `n` (1-based): a fixed time, or a schedule such as {@link exponentialBackoff}. */
  readonly delayMs: number | ((failedAttempt: number) => number);
  /** Whether an error means "not yet" (default: every error); others are thrown at once. */
  readonly retryIf?: (error: unknown) => boolean;
  /** Called after each failed attempt that will be retried. */
  readonly onRetry?: (info: {
    attempt: number;
    error: unknown;
    delayMs: number;
    elapsedMs: number;
  }) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** Every attempt failed, or time ran out; `lastError` is the last attempt's. */
export class RetryError extends Error {
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly lastError: unknown,
  ) {
    super(
      `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    );
    this.name = 'RetryError';
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/** `base, 2·base, 4·base, …`, each capped at `max`. */
export function exponentialBackoff(
  baseMs: number,
  maxMs: number,
): (failedAttempt: number) => number {
  return (n) => Math.min(baseMs * 2 ** (n - 1), maxMs);
}

/** Runs `attempt` until it resolves; it throws (or rejects) to mean "not yet". */
export async function retry<T>(
  attempt: (n: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  if (options.attempts === undefined && options.timeoutMs === undefined) {
    throw new Error('retry needs attempts or timeoutMs: every wait has a bound');
  }
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const start = now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (options.retryIf && !options.retryIf(error)) throw error;
      const delayMs = typeof options.delayMs === 'number' ? options.delayMs : options.delayMs(n);
      const elapsedMs = now() - start;
      const outOfAttempts = options.attempts !== undefined && n >= options.attempts;
      const outOfTime = options.timeoutMs !== undefined && elapsedMs + delayMs > options.timeoutMs;
      if (outOfAttempts || outOfTime) throw new RetryError(n, elapsedMs, error);
      options.onRetry?.({ attempt: n, error, delayMs, elapsedMs });
      await wait(delayMs);
    }
  }
}
