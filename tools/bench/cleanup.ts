/**
 * Everything the benchmark starts (servers, API processes, temporary
 * directories) registers how to undo it here; `runCleanups()` undoes it in
 * reverse order, on success, on failure, and on Ctrl-C or SIGTERM.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Cleanup = { readonly what: string; readonly run: () => Promise<void> | void };
const cleanups: Cleanup[] = [];

/** Registers an undo step; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(what: string, run: () => Promise<void> | void): () => Promise<void> {
  const entry: Cleanup = { what, run };
  cleanups.push(entry);
  return async () => {
    const i = cleanups.indexOf(entry);
    if (i < 0) return;
    cleanups.splice(i, 1);
    await entry.run();
  };
}

/** Runs every registered step, newest first; a failing step is reported and the rest still run. */
export async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const { what, run } = cleanups.pop()!;
    try {
      await run();
    } catch (error) {
      process.stderr.write(`bench: cleanup of ${what} failed: ${(error as Error).message}\n`);
    }
  }
}

/** A temporary directory removed by the cleanup. */
export function temporaryDirectory(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(`temporary directory ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

let interrupted = false;
/** Whether a signal has started the cleanup (what fails after that is a consequence, not news). */
export const wasInterrupted = (): boolean => interrupted;

/** On SIGINT/SIGTERM: clean up, then exit with 128 + the signal's number. */
export function cleanUpOnSignals(): void {
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      process.stderr.write(`\nbench: ${signal}: stopping servers and removing temporary files…\n`);
      void runCleanups().finally(() => process.exit(code));
    });
  }
}
