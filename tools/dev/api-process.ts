/**
 * The API as `pnpm dev` runs it: the compiled server (packages/api/dist, what
 * the image runs), its migrations first, then the process, waited for until
 * it answers its health path; stopped with SIGTERM (the API drains and exits
 * 0), and SIGKILL only if it outlives its own shutdown timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import { retry } from '@fittech/shared';

export interface ApiProcessOptions {
  /** packages/api */
  readonly apiDir: string;
  /** The API's complete environment (the shared contract's variables and PATH, HOME). */
  readonly env: NodeJS.ProcessEnv;
  readonly port: number;
  readonly healthPath: string;
  /** How long the API may take to drain after SIGTERM before it is killed. */
  readonly stopTimeoutMs: number;
  /** Where the API's own output goes. */
  readonly output: NodeJS.WritableStream;
}

/** Runs a script of the API package to completion (migrations); rejects with its output. */
export function runMigrations(options: ApiProcessOptions, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(options.apiDir, 'dist', 'migrate.js')], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `the migrations failed (${signal ? `killed by ${signal} after ${timeoutMs / 1000} s` : `exit ${code}`}):\n${output.trim()}`,
          ),
        );
    });
  });
}

function answers(port: number, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 2_000 }, (res) => {
      res.resume();
      if (res.statusCode === 200) resolve();
      else reject(new Error(`${path} answered ${res.statusCode}`));
    });
    req.once('timeout', () => req.destroy(new Error(`${path} did not answer within 2 s`)));
    req.once('error', reject);
    req.end();
  });
}

export interface RunningApi {
  readonly child: ChildProcess;
  /** Resolves with the exit code (or signal) when the process ends. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after the stop timeout; resolves once it has exited. */
  stop(): Promise<void>;
}

/** Starts the API and resolves once it answers its health path (rejects if it exits first). */
export async function startApi(
  options: ApiProcessOptions,
  timeoutMs = 60_000,
): Promise<RunningApi> {
  const child = spawn(process.execPath, [join(options.apiDir, 'dist', 'main.js')], {
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(options.output, { end: false });
  child.stderr.pipe(options.output, { end: false });
  let ended = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (error) => {
      ended = true;
      options.output.write(`dev: cannot run the API: ${error.message}\n`);
      resolve('spawn-error');
    });
  });
  const stop = async () => {
    if (ended) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs);
    await exited;
    clearTimeout(timer);
  };
  try {
    await retry(
      async () => {
        if (ended) throw new ApiExitedError(await exited);
        await answers(options.port, options.healthPath);
      },
      { timeoutMs, delayMs: 200, retryIf: (error) => !(error instanceof ApiExitedError) },
    );
  } catch (error) {
    await stop();
    throw error instanceof ApiExitedError
      ? error
      : new Error(
          `the API did not answer ${options.healthPath} on port ${options.port} within ${timeoutMs / 1000} s`,
        );
  }
  return { child, exited, stop };
}

export class ApiExitedError extends Error {
  constructor(readonly code: number | string) {
    super(`the API exited (${code}) before it answered; its output is above`);
  }
}
