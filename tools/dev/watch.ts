/**
 * Source changes for `pnpm dev`: the API's and @fittech/shared's sources are
 * watched (Node's recursive fs.watch), a burst of changes becomes one event,
 * and the API package is rebuilt with the same `tsc -b` as `pnpm build`.
 */
import { spawn } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';

export interface SourceWatcher {
  close(): void;
}

/** Calls `onChange` once per burst of changes (quiet for `debounceMs`) under any of `dirs`. */
export function watchSources(
  dirs: readonly string[],
  onChange: (files: string[]) => void,
  debounceMs = 300,
): SourceWatcher {
  let timer: NodeJS.Timeout | undefined;
  let changed = new Set<string>();
  const watchers: FSWatcher[] = dirs.map((dir) =>
    watch(dir, { recursive: true }, (_event, file) => {
      if (file && !/\.tsx?$/.test(file)) return;
      changed.add(file ? `${dir}/${file}` : dir);
      clearTimeout(timer);
      timer = setTimeout(() => {
        const files = [...changed].sort();
        changed = new Set();
        onChange(files);
      }, debounceMs);
    }),
  );
  return {
    close: () => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
    },
  };
}

export interface Build {
  /** Whether it succeeded, and what tsc printed. */
  readonly done: Promise<{ ok: boolean; output: string }>;
  /** Stops it (when `pnpm dev` stops in the middle of a build). */
  cancel(): void;
}

/** `tsc -b <project>`, bounded by `timeoutMs`. */
export function build(tsc: string, project: string, cwd: string, timeoutMs = 300_000): Build {
  let cancel = () => undefined as void;
  const done = new Promise<{ ok: boolean; output: string }>((resolve) => {
    const child = spawn(process.execPath, [tsc, '-b', project], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
    cancel = () => void child.kill('SIGTERM');
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', (error) => resolve({ ok: false, output: error.message }));
    child.once('exit', (code, signal) =>
      resolve({
        ok: code === 0,
        output: signal
          ? `${output}\n(tsc was stopped by ${signal} after ${timeoutMs / 1000} s)`
          : output,
      }),
    );
  });
  return { done, cancel: () => cancel() };
}
