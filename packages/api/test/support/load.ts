import { request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** One HTTP exchange over a fresh connection, optionally from a given local address (127.0.0.0/8 all reach loopback). */
export function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    localAddress?: string;
  } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      localAddress: options.localAddress,
      agent: false,
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A login attempt with the form encoded as a browser would. */
export const loginForm = (username: string, password: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ username, password }).toString(),
});

/** The q-quantile (0..1) of a list of numbers, nearest rank. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

/**
 * Asks `url` every `intervalMillis` (one request at a time, as a kubelet
 * probes) until stopped; resolves with each answer's latency in ms and the
 * statuses seen.
 */
export function poll(url: string, intervalMillis = 20) {
  let running = true;
  const latencies: number[] = [];
  const statuses: number[] = [];
  const done = (async () => {
    while (running) {
      const started = performance.now();
      try {
        statuses.push((await send(url)).status);
      } catch {
        statuses.push(0);
      }
      latencies.push(performance.now() - started);
      await new Promise((r) => setTimeout(r, intervalMillis));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { latencies, statuses };
    },
  };
}

/** Runs `total` tasks, `concurrency` at a time; resolves with their results in order. */
export async function pooled<T>(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array<T>(total);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        results[i] = await task(i);
      }
    }),
  );
  return results;
}

/** Counts of each value, e.g. `{ "400": 30, "429": 70 }`. */
export const histogram = (values: readonly (number | string)[]) =>
  values.reduce<Record<string, number>>((counts, v) => {
    counts[String(v)] = (counts[String(v)] ?? 0) + 1;
    return counts;
  }, {});
