/**
 * What a bundle was built from, written next to it (`<name>.bundle.json`), so
 * the launcher can tell in a few milliseconds whether the bundle is current:
 * the size and modification time of every workspace file it contains, and of
 * the files pnpm rewrites on every install (node_modules/.modules.yaml and the
 * lockfile), which stand for the third-party files: those change only when
 * pnpm installs, and checking them all would cost the launcher more than the
 * rest of its work (about 1,100 stat calls).
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';

export const MANIFEST_VERSION = 1;

/** The manifest of a bundle: `synth.bundle.js` → `synth.bundle.json`. */
export const manifestPath = (bundle: string) => bundle.replace(/\.js$/, '.json');

/** [path relative to the bundle's directory, size in bytes, mtime in ms]. */
export type InputStamp = readonly [string, number, number];

export interface BundleManifest {
  readonly version: typeof MANIFEST_VERSION;
  /** The entry module, relative to the bundle's directory. */
  readonly entry: string;
  /** sha256 of the bundle's text: names its V8 code cache. */
  readonly hash: string;
  /** The bundle itself when it was written: a bundle replaced since is not this one. */
  readonly bundle: InputStamp;
  /** Workspace inputs and pnpm's install markers. */
  readonly inputs: readonly InputStamp[];
}

export function stampOf(dir: string, path: string): InputStamp | undefined {
  const stat = statSync(join(dir, path), { throwIfNoEntry: false });
  return stat ? [path, stat.size, stat.mtimeMs] : undefined;
}

/** Whether every recorded file still has its recorded size and modification time. */
export function isCurrent(dir: string, manifest: BundleManifest, entry: string): boolean {
  if (manifest.version !== MANIFEST_VERSION || manifest.entry !== entry) return false;
  for (const stamp of [manifest.bundle, ...manifest.inputs]) {
    const now = stampOf(dir, stamp[0]);
    if (!now || now[1] !== stamp[1] || now[2] !== stamp[2]) return false;
  }
  return true;
}
