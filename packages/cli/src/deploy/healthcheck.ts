import http from 'node:http';
import https from 'node:https';
import { retry, RetryError, sleep } from '@fittech/shared';
import { formatDuration } from './duration';

export interface HealthCheckOptions {
  /** The URL to GET, e.g. `http://<load balancer>:80/health`. */
  readonly url: string;
  /** How many requests at most (≥ 1). */
  readonly attempts: number;
  /** Wait after the first failed attempt; doubles after each further one. */
  readonly baseDelayMs: number;
  /** Upper bound of one wait. */
  readonly maxDelayMs: number;
  /** How long one attempt may take (connect + response headers). */
  readonly timeoutMs: number;
  /** Called after every attempt (the CLI prints progress from it). */
  readonly onAttempt?: (attempt: AttemptResult) => void;
  /** Injected in tests to record the waits instead of sleeping. */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface AttemptResult {
  /** 1-based. */
  readonly attempt: number;
  readonly healthy: boolean;
  /** HTTP status when a response arrived. */
  readonly status?: number;
  /** `HTTP 200`, `HTTP 503 Service Unavailable`, `connection refused`, `no response within 2s`… */
  readonly reason: string;
  /** The wait before the next attempt (absent after the last one or on success). */
  readonly nextDelayMs?: number;
}

export interface HealthCheckResult {
  readonly healthy: boolean;
  /** Requests made. */
  readonly attempts: number;
  readonly last: AttemptResult;
  /** One line for a person: the outcome, the attempt count and the last result. */
  readonly message: string;
}

/**
 * The waits between attempts: `base, 2·base, 4·base, …`, each capped at
 * `max`. There are `attempts - 1` of them (no wait after the last attempt).
 */
export function backoffDelays(attempts: number, baseDelayMs: number, maxDelayMs: number): number[] {
  return Array.from({ length: Math.max(0, attempts - 1) }, (_, i) =>
    Math.min(baseDelayMs * 2 ** i, maxDelayMs),
  );
}

const ERROR_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'host not found yet (DNS lookup failed temporarily)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
};

/** One GET. Only a 2xx response is healthy; redirects are not followed. */
export function probe(url: URL, timeoutMs: number): Promise<Omit<AttemptResult, 'attempt'>> {
  return new Promise((resolve) => {
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const settle = (result: Omit<AttemptResult, 'attempt'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const request = client.get(
      url,
      { agent: false, headers: { 'user-agent': 'fittech-deploy-healthcheck', accept: '*/*' } },
      (response) => {
        response.resume(); // drain the body; only the status matters
        const status = response.statusCode ?? 0;
        const text = http.STATUS_CODES[status];
        settle({
          healthy: status >= 200 && status < 300,
          status,
          reason: `HTTP ${status}${text ? ` ${text}` : ''}`,
        });
      },
    );
    const timer = setTimeout(() => {
      settle({ healthy: false, reason: `no response within ${formatDuration(timeoutMs)}` });
      request.destroy();
    }, timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => {
      settle({
        healthy: false,
        reason: ERROR_REASONS[error.code ?? ''] ?? `request failed: ${error.message}`,
      });
    });
  });
}

/**
 * Requests `url` until it answers 2xx or `attempts` run out, waiting with
 * exponential backoff in between. Connection errors, timeouts, non-2xx
 * statuses (5xx included) all count as "not healthy yet".
 */
export async function checkHealth(options: HealthCheckOptions): Promise<HealthCheckResult> {
  if (!Number.isInteger(options.attempts) || options.attempts < 1) {
    throw new Error(`attempts must be a whole number of at least 1 (got ${options.attempts})`);
  }
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`the health-check URL must be http:// or https:// (got ${options.url})`);
  }
  const delays = backoffDelays(options.attempts, options.baseDelayMs, options.maxDelayMs);
  const wait = options.sleep ?? sleep;
  let waited = 0;
  let last: AttemptResult | undefined;
  try {
    await retry(
      async (attempt) => {
        const outcome = await probe(url, options.timeoutMs);
        const nextDelayMs = outcome.healthy ? undefined : delays[attempt - 1];
        last = { attempt, ...outcome, ...(nextDelayMs === undefined ? {} : { nextDelayMs }) };
        options.onAttempt?.(last);
        if (!outcome.healthy) throw new Error(outcome.reason);
      },
      {
        attempts: options.attempts,
        delayMs: (failed) => delays[failed - 1] ?? 0,
        sleep: (ms) => {
          waited += ms;
          return wait(ms);
        },
      },
    );
    const plural = last!.attempt === 1 ? 'attempt' : 'attempts';
    return {
      healthy: true,
      attempts: last!.attempt,
      last: last!,
      message: `${url.href} is healthy after ${last!.attempt} ${plural} (${last!.reason})`,
    };
  } catch (error) {
    if (!(error instanceof RetryError)) throw error;
  }
  const final = last!;
  return {
    healthy: false,
    attempts: options.attempts,
    last: final,
    message:
      `${url.href} did not become healthy after ${options.attempts} attempts ` +
      `(${formatDuration(waited)} of backoff); last result: ${final.reason}`,
  };
}
