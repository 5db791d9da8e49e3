/** The CLIs run from bundles (run.ts), and where their bundles are. */
import { join, resolve } from 'node:path';
import type { BundleSpec } from './build';

/** tools/dist/bundle/ → tools/dist/ and the repository. */
const DIST = resolve(__dirname, '..');
const ROOT = resolve(DIST, '..', '..');

/** `pnpm synth`: tools/synth.ts's CLI (entry synth-main.ts). */
export const SYNTH_BUNDLE: BundleSpec = {
  entry: join(DIST, 'synth-main.js'),
  bundle: join(DIST, 'synth.bundle.js'),
  root: ROOT,
};

export const BUNDLES: readonly BundleSpec[] = [SYNTH_BUNDLE];
