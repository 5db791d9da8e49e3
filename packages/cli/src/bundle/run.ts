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
import { basename, dirname, relative, sep } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { milliseconds } from '../clock';
import type { BundleSpec } from './build';
import { isCurrent, manifestPath, type BundleManifest } from './manifest';

export interface RunOptions extends BundleSpec {
  /**
   * Whether a successful run of these arguments compiles what the usual run
   * does, so its code cache is worth keeping (not `--help`). @default true
   */
  readonly representative?: boolean;
  /**
   * Told why the bundle could not be built, instead of standard error and exit
   * status 1 (a worker thread answers its caller with it).
   */
  readonly onBuildFailure?: (message: string) => void;
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

function debug(line: string): void {
  if (process.env.FITTECH_BUNDLE_DEBUG) process.stderr.write(`bundle: ${line}\n`);
}

/**
 * Calls `then` with the bundle's manifest once the bundle is current: at once
 * when it is, after building it when it is missing or older than what it was
 * built from. A failed build is reported to `options.onBuildFailure`.
 */
export function whenCurrent(
  options: RunOptions,
  then: (manifest: BundleManifest, built: boolean) => void,
): void {
  const dir = dirname(options.bundle);
  const entry = relative(dir, options.entry).split(sep).join('/');
  const manifest = readManifest(options.bundle);
  if (manifest && isCurrent(dir, manifest, entry)) {
    then(manifest, false);
    return;
  }
  debug(`${basename(options.bundle)}: ${manifest ? 'out of date' : 'missing'}: building`);
  build(options, (built) => then(built, true));
}

function build(options: RunOptions, then: (manifest: BundleManifest) => void): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildBundle } = require('./build') as typeof import('./build');
  buildBundle(options).then(then, (error: unknown) => {
    const message =
      `Could not build ${options.bundle} from ${options.entry}: ${(error as Error).message}\n` +
      'Run `pnpm build` (or `pnpm install` if esbuild is missing) and try again.';
    if (options.onBuildFailure) {
      options.onBuildFailure(message);
      return;
    }
    process.stderr.write(`${message}\n`);
    process.exitCode = 1;
  });
}

/**
 * Runs the CLI in `options.bundle`, building it first if needed; `then`, if
 * given, is called with the exports of the bundle's entry once it has run.
 */
export function runBundled(options: RunOptions, then?: (exports: unknown) => void): void {
  whenCurrent(options, (manifest, built) => execute(options, manifest, built, then));
}

function execute(
  options: RunOptions,
  manifest: BundleManifest,
  built: boolean,
  then: ((exports: unknown) => void) | undefined,
): void {
  // A CLI's process lives about a second: TurboFan's optimized code would not pay for its
  // compilation (measured: 20 % less CPU, 15 % less wall time without it). Set before anything
  // is compiled, so the code cache is made and used under the same flags.
  setFlagsFromString('--no-opt');
  const t0 = milliseconds();
  // ASCII (build.ts checks), so latin1 reads it as is, without decoding UTF-8.
  const source = readFileSync(options.bundle, 'latin1');
  if (source.length !== manifest.bundle[1]) {
    // Replaced since the manifest was read (another process rebuilt it): build it again here.
    debug(`${basename(options.bundle)}: replaced while starting: building`);
    build(options, (rebuilt) => execute(options, rebuilt, true, then));
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
  debug(`${basename(options.bundle)}: ${built ? 'built' : 'current'}, code cache ${codeCache}`);
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
  then?.(mod.exports);
}
