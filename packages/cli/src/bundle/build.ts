/**
 * Builds a CLI's bundle: its compiled entry (packages/cli/dist/…) and everything it
 * requires, workspace packages and third-party libraries, in one CommonJS file
 * written by esbuild. One file instead of ~1,100 saves node resolving,
 * reading and compiling each module; it also lets one V8 code cache cover the
 * whole CLI (see run.ts).
 *
 * Loaded only when the bundle is missing or out of date: esbuild is a dev
 * dependency of the workspace root, which runs the CLIs.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import type { Plugin } from 'esbuild';
import {
  MANIFEST_VERSION,
  manifestPath,
  stampOf,
  type BundleManifest,
  type InputStamp,
} from './manifest';

export interface BundleSpec {
  /** The compiled entry module (a .js file that runs the CLI). */
  readonly entry: string;
  /** The bundle to write, e.g. packages/cli/dist/synth.bundle.js; its manifest and code caches go beside it. */
  readonly bundle: string;
  /** The workspace root: where node_modules/.modules.yaml and pnpm-lock.yaml are. */
  readonly root: string;
  /** Modules the bundle leaves to node_modules, loaded (if ever) when first required. */
  readonly external?: readonly string[];
}

/** The modules that must not be bundled: esbuild itself (a native helper binary, loaded on demand). */
const EXTERNAL = ['esbuild'];

/**
 * Every bundled module keeps its own `__dirname` and `__filename` (code reads
 * files next to itself, e.g. a package's package.json): they are declared at
 * the top of the module, after its "use strict" prologue, relative to the
 * bundle's directory, which `__bundleDirname` holds (the banner).
 */
function moduleLocation(outDir: string): Plugin {
  return {
    name: 'module-location',
    setup(build) {
      build.onLoad({ filter: /\.c?js$/ }, async (args) => {
        const contents = await readFile(args.path, 'utf8');
        // Untouched: modules that do not use them, or declare their own (ESM shims).
        if (!/\b__(dirname|filename)\b/.test(contents)) return undefined;
        if (/\b(var|let|const)\s+__(dirname|filename)\b/.test(contents)) return undefined;
        const rel = relative(outDir, args.path).split(sep).join('/');
        const declaration =
          `var __filename = require("node:path").join(__bundleDirname, ${JSON.stringify(rel)}),` +
          ` __dirname = require("node:path").dirname(__filename);`;
        return { contents: insertAfterPrologue(contents, declaration), loader: 'js' };
      });
    },
  };
}

/** Inserts a statement after a module's leading comments and directives ("use strict"). */
export function insertAfterPrologue(source: string, statement: string): string {
  const prologue = /^(?:#![^\n]*\n)?(?:\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/|(["'])use strict\1;?)*/.exec(
    source,
  )![0];
  const separator = prologue === '' || prologue.endsWith('\n') ? '' : '\n';
  return `${prologue}${separator}${statement}\n${source.slice(prologue.length)}`;
}

export async function buildBundle(spec: BundleSpec): Promise<BundleManifest> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require('esbuild') as typeof import('esbuild');
  const outDir = dirname(spec.bundle);
  const result = await esbuild.build({
    entryPoints: [spec.entry],
    absWorkingDir: spec.root,
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'cjs',
    external: [...EXTERNAL, ...(spec.external ?? [])],
    plugins: [moduleLocation(outDir)],
    banner: { js: 'var __bundleDirname = __dirname;' },
    // Smaller text to read and hash; identifiers are kept, so stack traces still name functions.
    minifyWhitespace: true,
    minifySyntax: true,
    // ASCII only: the launcher reads it as latin1, several times faster than decoding UTF-8.
    charset: 'ascii',
    legalComments: 'none',
    metafile: true,
    write: false,
    logLevel: 'silent',
  });
  const text = result.outputFiles[0]!.text;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(text)) throw new Error(`${spec.bundle}: esbuild wrote non-ASCII text`);

  const inputs: InputStamp[] = [];
  const relativeToOut = (fromRoot: string) =>
    relative(outDir, join(spec.root, fromRoot)).split(sep).join('/');
  for (const input of Object.keys(result.metafile.inputs)) {
    if (input.split('/').includes('node_modules')) continue;
    const stamp = stampOf(outDir, relativeToOut(input));
    if (!stamp) throw new Error(`${spec.bundle}: its input ${input} vanished while it was built`);
    inputs.push(stamp);
  }
  for (const marker of [join('node_modules', '.modules.yaml'), 'pnpm-lock.yaml']) {
    const stamp = stampOf(outDir, relativeToOut(marker));
    if (stamp) inputs.push(stamp);
  }

  // Written beside, then renamed: a launcher running meanwhile reads the old bundle or the new one.
  const tmp = `${spec.bundle}.${process.pid}.tmp`;
  writeFileSync(tmp, text, 'latin1');
  renameSync(tmp, spec.bundle);
  const manifest: BundleManifest = {
    version: MANIFEST_VERSION,
    entry: relative(outDir, spec.entry).split(sep).join('/'),
    hash: createHash('sha256').update(text).digest('hex'),
    bundle: stampOf(outDir, basename(spec.bundle))!,
    inputs,
  };
  const manifestFile = manifestPath(spec.bundle);
  writeFileSync(`${manifestFile}.${process.pid}.tmp`, `${JSON.stringify(manifest)}\n`);
  renameSync(`${manifestFile}.${process.pid}.tmp`, manifestFile);
  // The previous bundles' code caches (run.ts names them `<bundle>.<hash>-<node>.cache`) are of
  // no use any more.
  const prefix = `${basename(spec.bundle).replace(/\.js$/, '')}.`;
  const current = `${prefix}${manifest.hash.slice(0, 16)}-`;
  for (const file of readdirSync(outDir)) {
    if (file.startsWith(prefix) && file.endsWith('.cache') && !file.startsWith(current)) {
      rmSync(join(outDir, file), { force: true });
    }
  }
  return manifest;
}
