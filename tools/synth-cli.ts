/**
 * `pnpm synth`: the CLI of synth.ts, run from one esbuild bundle of it with
 * V8's code cache (tools/bundle/), so that a synth costs little more than its
 * work: node neither resolves, reads nor compiles the ~1,100 modules it needs
 * one by one. The bundle is built (or rebuilt, when what it was built from
 * changed) by the first run that needs it; `node tools/dist/synth.js` runs the
 * same CLI unbundled.
 */
import { runBundled } from './bundle/run';
import { SYNTH_BUNDLE } from './bundle/specs';

const args = process.argv.slice(2);
runBundled({
  ...SYNTH_BUNDLE,
  // --help compiles little of the CLI: its code cache would leave the synth uncached.
  representative: !args.some((a) => a === '-h' || a === '--help'),
});
