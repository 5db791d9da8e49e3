/**
 * Milliseconds from an arbitrary origin, for durations. process.hrtime, not
 * performance.now(): the first use of `performance` loads perf_hooks, a few
 * milliseconds of a short CLI's start.
 */
export const milliseconds = (): number => Number(process.hrtime.bigint()) / 1e6;
