/**
 * Benchmark child: one cold synth (as `node packages/cli/dist/synth/synth.js --no-workflows`
 * does it), timed by stage. `node synth-stages.js OUT_DIR` prints one line of
 * JSON: node's start-up, module load, synth()'s own stage timings, peak RSS.
 *
 * The modules are loaded by dynamic import() (compiled to require()), so the
 * clock starts before they load (a static import would load them first).
 */
import { join } from 'node:path';
import type * as Cli from '@fittech/cli';
import { printReport, runChild } from './report';

/** ≈ node's start-up: the clock starts at process start (performance.timeOrigin). */
const boot = performance.now();

/** tools/dist/bench/children → packages/cli/dist/synth/synth.js. */
const SYNTH_MODULE = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'packages',
  'cli',
  'dist',
  'synth',
  'synth.js',
);

runChild(async () => {
  const out = process.argv[2];
  if (!out) throw new Error('usage: synth-stages.js OUT_DIR');
  // synth's own module, not @fittech/cli's index (which also loads the deploy CLI): what `pnpm synth` loads.
  const { synth }: Pick<typeof Cli, 'synth'> = await import(SYNTH_MODULE);
  // The Terraform stage loads CDKTF on its first call (the bundled CLI loads it in its worker):
  // loaded here, so that the stage table keeps module load and synthesis apart.
  await import('@fittech/infra/synthesize');
  const loaded = performance.now();
  const { timings } = synth({ out, workflowsDir: false });
  printReport(boot, { moduleLoad: loaded - boot, ...timings });
});
