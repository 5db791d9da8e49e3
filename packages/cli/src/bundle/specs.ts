/** The CLIs run from bundles (run.ts), and where their bundles are. */
import { join, resolve } from 'node:path';
import type { BundleSpec } from './build';

/** packages/cli/dist/bundle/ → packages/cli/dist/ and the repository. */
const DIST = resolve(__dirname, '..');
const ROOT = resolve(DIST, '..', '..', '..');

/**
 * `pnpm synth`: synth/synth.ts's CLI (entry synth/main.ts). CDKTF stays out:
 * the CLI's Terraform stage runs in a worker from TERRAFORM_BUNDLE, and the
 * in-thread stage it falls back to loads `@fittech/infra/synthesize` from
 * node_modules.
 */
export const SYNTH_BUNDLE: BundleSpec = {
  entry: join(DIST, 'synth', 'main.js'),
  bundle: join(DIST, 'synth.bundle.js'),
  root: ROOT,
  external: ['@fittech/infra/synthesize'],
};

/** The synth CLI's Terraform worker (terraform-worker/entry.ts). */
export const TERRAFORM_BUNDLE: BundleSpec = {
  entry: join(DIST, 'terraform-worker', 'entry.js'),
  bundle: join(DIST, 'terraform.bundle.js'),
  root: ROOT,
};

export const BUNDLES: readonly BundleSpec[] = [SYNTH_BUNDLE, TERRAFORM_BUNDLE];
