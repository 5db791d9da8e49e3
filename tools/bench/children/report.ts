/** What every benchmark child prints: one line of JSON on stdout. */
export interface ChildReport {
  /** performance.now() at the child's first line: node's own start-up, ms. */
  readonly boot: number;
  /** performance.now() when the work was done (the process then exits), ms. */
  readonly end: number;
  /** Modules in require.cache at the end (how much code was loaded). */
  readonly modules: number;
  /** Peak resident set size of the child, KiB (process.resourceUsage().maxRSS). */
  readonly maxRssKiB: number;
}

export function printReport<T extends object>(boot: number, fields: T): void {
  const report: ChildReport & T = {
    boot,
    end: performance.now(),
    modules: Object.keys(require.cache).length,
    maxRssKiB: process.resourceUsage().maxRSS,
    ...fields,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** Runs the child's main; a failure goes to stderr with exit code 1 (the parent shows it). */
export function runChild(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
  });
}
