/**
 * One load run with autocannon (programmatic, in this process; the API is a
 * separate process): a fixed number of keep-alive connections, each sending
 * its next request as soon as the previous one is answered (closed loop), for
 * a fixed time. Latency percentiles are computed here from every response's
 * exact duration (autocannon's own histogram rounds to whole milliseconds).
 */
import autocannon from 'autocannon';
import { onCleanup } from './cleanup';
import { cpuMeter, peakRssMeter, type CpuShare } from './cpu';
import { quantileOfSorted } from './stats';

export interface LoadRun {
  readonly seconds: number;
  readonly responses: number;
  readonly requestsPerSecond: number;
  /** Latency percentiles over every response, ms. */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly non2xx: number;
  /** Connection errors (timeouts included). */
  readonly errors: number;
  readonly timeouts: number;
  /** Responses by their X-Cache header (`hit`, `miss`, `bypass`; `none` without one, e.g. writes). */
  readonly cache: Record<string, number>;
  /** Responses by status code. */
  readonly statuses: Record<string, number>;
  /** Responses whose status is not one the scenario expects (see `LoadSpec.expected`). */
  readonly unexpected: number;
  readonly cpu?: CpuShare;
  /** Peak resident memory of the server during the run, MiB (Linux). */
  readonly peakRssMiB?: number;
}

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly seconds: number;
  /** The sequence each connection cycles through. */
  readonly requests: readonly autocannon.Request[];
  /** pid of the server, for CPU and memory accounting. */
  readonly serverPid: number;
  /** Status codes that count as success (default: any 2xx). */
  readonly expected?: readonly number[];
}

export function runLoad(spec: LoadSpec): Promise<LoadRun> {
  const cache: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const count: NonNullable<autocannon.Request['onResponse']> = (status, _body, _ctx, headers) => {
    const h = headers as Record<string, string | undefined> | undefined;
    const outcome = h?.['x-cache'] ?? h?.['X-Cache'] ?? 'none';
    cache[outcome] = (cache[outcome] ?? 0) + 1;
    statuses[status] = (statuses[status] ?? 0) + 1;
  };
  const expected = (status: number) =>
    spec.expected ? spec.expected.includes(status) : status >= 200 && status < 300;
  const stopMemory = peakRssMeter(spec.serverPid);
  let latencies = new Float64Array(1 << 16);
  let n = 0;
  const stopCpu = cpuMeter(spec.serverPid);
  let release: (() => Promise<void>) | undefined;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        pipelining: 1,
        duration: spec.seconds,
        timeout: 10,
        requests: spec.requests.map((r) => ({ ...r, onResponse: count })),
      },
      (error, result) => {
        release?.().catch(() => undefined);
        const cpu = stopCpu();
        const peakRssMiB = stopMemory();
        if (error) return reject(error instanceof Error ? error : new Error(String(error)));
        const sorted = latencies.subarray(0, n).sort();
        const seconds = (result.finish.getTime() - result.start.getTime()) / 1000;
        resolve({
          seconds,
          responses: n,
          requestsPerSecond: n / seconds,
          p50: quantileOfSorted(sorted, 0.5),
          p90: quantileOfSorted(sorted, 0.9),
          p99: quantileOfSorted(sorted, 0.99),
          max: n > 0 ? sorted[n - 1]! : Number.NaN,
          non2xx: result.non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          cache,
          statuses,
          unexpected: Object.entries(statuses)
            .filter(([status]) => !expected(Number(status)))
            .reduce((total, [, n]) => total + n, 0),
          cpu,
          peakRssMiB,
        });
      },
    );
    release = onCleanup('a running load generator', () => {
      instance.stop();
    });
    instance.on('response', (_client, _status, _bytes, responseTime) => {
      if (n === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[n++] = responseTime;
    });
  });
}
