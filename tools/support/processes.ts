/**
 * Child processes for the end-to-end suite: started with the manifest's own
 * argv and env, their output kept for the failure message, and always reaped.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  readonly hasExited: () => boolean;
  /** Sends SIGKILL to the process group if it is still running. */
  kill(): void;
}

export function startProcess(
  name: string,
  argv: readonly string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    /** A file descriptor for stdout (e.g. a log file), instead of keeping it in memory. */
    stdout?: number;
  } = {},
): RunningProcess {
  const [command, ...args] = argv;
  const child = spawn(command!, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let done = false;
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.on('error', (e) => {
      done = true;
      out += `\n[spawn error] ${e.message}`;
      resolve('spawn-error');
    });
  });
  return {
    name,
    child,
    output: () => out,
    exited,
    hasExited: () => done,
    kill: () => {
      if (done || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    },
  };
}

/** Runs to completion; resolves with the exit code and output. */
export async function runToCompletion(
  name: string,
  argv: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number },
): Promise<{ code: number | string; output: string }> {
  const p = startProcess(name, argv, options);
  const timer = setTimeout(() => p.kill(), options.timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output() };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves with the promise's value, or with `fallback` after `ms` (the timer never outlives it). */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((r) => (timer = setTimeout(() => r(fallback), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `check` until it returns true or the deadline passes; returns whether it passed. */
export async function pollUntil(
  check: () => Promise<boolean>,
  { timeoutMs, intervalMs }: { timeoutMs: number; intervalMs: number },
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return true;
    await sleep(intervalMs);
  }
  return false;
}
