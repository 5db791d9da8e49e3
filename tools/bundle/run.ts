/**
 * Runs a CLI from its bundle (build.ts) with V8's code cache: the bundle is
 * compiled from the bytecode a previous run saved instead of from its text,
 * the way `module.enableCompileCache()` does for every module from Node 22 on
 * (Node 20, which this project supports, has no such switch; `vm.Script`'s
 * `cachedData` is the same mechanism by hand).
 *
 * The bundle is rebuilt first when it is missing or older than what it was
 * built from (manifest.ts), so a CLI never runs stale code: `pnpm synth` on a
 * fresh clone builds it on its first run. The cache is written at exit by a
 * run that had none (or whose cache V8 refused: another node or other flags),
 * after the work, so it holds the functions the work compiled, not only the
 * top level. Writing it is best effort: a read-only checkout runs uncached.
 *
 * This module is the launcher's whole import graph (node built-ins only); the
 * builder and esbuild load only when a bundle must be built.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, relative, sep } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import type { BundleSpec } from './build';
import { isCurrent, manifestPath, type BundleManifest } from './manifest';

export interface RunOptions extends BundleSpec {
  /**
   * Whether a successful run of these arguments compiles what the usual run
   * does, so its code cache is worth keeping (not `--help`). @default true
   */
  readonly representative?: boolean;
}

/** How the last run started, for `pnpm bench` (the bundle's code can read it). */
export interface BundleStart {
  /** Whether the bundle had to be built first. */
  readonly built: boolean;
  /** hit: compiled from the cache; miss: no cache yet; rejected: V8 refused it. */
  readonly codeCache: 'hit' | 'miss' | 'rejected';
  /** Reading the bundle and its cache, and compiling it, ms. */
  readonly readMs: number;
  readonly compileMs: number;
}
export const BUNDLE_START = Symbol.for('fittech.bundle.start');

/** One code cache per bundle and per node, architecture and flags (V8 refuses the others). */
export function codeCacheFile(bundle: string, hash: string): string {
  const variant = createHash('sha256')
    .update([process.version, process.arch, ...process.execArgv].join('\0'))
    .digest('hex');
  return `${bundle.replace(/\.js$/, '')}.${hash.slice(0, 16)}-${variant.slice(0, 16)}.cache`;
}

function readManifest(bundle: string): BundleManifest | undefined {
  try {
    return JSON.parse(readFileSync(manifestPath(bundle), 'utf8')) as BundleManifest;
  } catch {
    return undefined;
  }
}

/** A clock without `performance`, whose first use loads perf_hooks (a few ms of a short CLI). */
const milliseconds = () => Number(process.hrtime.bigint()) / 1e6;

function debug(line: string): void {
  if (process.env.FITTECH_BUNDLE_DEBUG) process.stderr.write(`bundle: ${line}\n`);
}

/** Runs the CLI in `options.bundle`, building it first if needed. */
export function runBundled(options: RunOptions): void {
  const dir = dirname(options.bundle);
  const entry = relative(dir, options.entry).split(sep).join('/');
  const manifest = readManifest(options.bundle);
  if (manifest && isCurrent(dir, manifest, entry)) {
    execute(options, manifest, false);
    return;
  }
  debug(manifest ? 'out of date: building' : 'missing: building');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildBundle } = require('./build') as typeof import('./build');
  buildBundle(options).then(
    (built) => execute(options, built, true),
    (error: unknown) => {
      process.stderr.write(
        `Could not build ${options.bundle} from ${options.entry}: ${(error as Error).message}\n` +
          'Run `pnpm build` (or `pnpm install` if esbuild is missing) and try again.\n',
      );
      process.exitCode = 1;
    },
  );
}

function execute(options: RunOptions, manifest: BundleManifest, built: boolean): void {
  // A CLI's process lives about a second: TurboFan's optimized code would not pay for its
  // compilation (measured: 20 % less CPU, 15 % less wall time without it). Set before anything
  // is compiled, so the code cache is made and used under the same flags.
  setFlagsFromString('--no-opt');
  const t0 = milliseconds();
  // ASCII (build.ts checks), so latin1 reads it as is, without decoding UTF-8.
  const source = readFileSync(options.bundle, 'latin1');
  if (source.length !== manifest.bundle[1]) {
    // Replaced since the manifest was read (another process rebuilt it): build it again here.
    debug('replaced while starting: building');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { buildBundle } = require('./build') as typeof import('./build');
    void buildBundle(options).then((m) => execute(options, m, true));
    return;
  }
  const cacheFile = codeCacheFile(options.bundle, manifest.hash);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    // No cache yet.
  }
  const t1 = milliseconds();
  const script = new Script(Module.wrap(source), {
    filename: options.bundle,
    ...(cachedData ? { cachedData } : {}),
  });
  const t2 = milliseconds();
  const codeCache = !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  const start: BundleStart = { built, codeCache, readMs: t1 - t0, compileMs: t2 - t1 };
  (globalThis as Record<symbol, unknown>)[BUNDLE_START] = start;
  debug(`${built ? 'built' : 'current'}, code cache ${codeCache}`);
  if (codeCache !== 'hit' && options.representative !== false) {
    process.once('exit', (code) => {
      if (code !== 0) return;
      try {
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
        debug(`code cache written: ${cacheFile}`);
      } catch {
        // Read-only: the next run compiles again.
      }
    });
  }
  const mod = new Module(options.bundle);
  mod.filename = options.bundle;
  const wrapper = script.runInThisContext() as (
    exports: unknown,
    require: NodeJS.Require,
    module: Module,
    filename: string,
    dirname: string,
  ) => void;
  wrapper.call(
    mod.exports,
    mod.exports,
    Module.createRequire(options.bundle),
    mod,
    options.bundle,
    dirname(options.bundle),
  );
}
