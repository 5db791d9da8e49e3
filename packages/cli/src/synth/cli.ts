/**
 * `pnpm synth`: the CLI of synth.ts, run from one esbuild bundle of it with
 * V8's code cache (../bundle/), so that a synth costs little more than its
 * work: node neither resolves, reads nor compiles the ~1,100 modules it needs
 * one by one. Its Terraform stage runs in a worker thread from a bundle of its
 * own (../terraform-worker/), started first, so that CDKTF loads and
 * synthesizes on the second core while this thread loads the CLI and builds
 * the Helm chart. The bundles are built (or rebuilt, when what they were built
 * from changed) by the first run that needs them; `node packages/cli/dist/synth/synth.js`
 * runs the same CLI unbundled, in one thread.
 */
import { runBundled, whenCurrent } from '../bundle/run';
import { SYNTH_BUNDLE, TERRAFORM_BUNDLE } from '../bundle/specs';
import { startTerraformWorker } from '../terraform-worker/channel';

const args = process.argv.slice(2);
const help = args.some((a) => a === '-h' || a === '--help');
whenCurrent(TERRAFORM_BUNDLE, () => {
  const worker = help ? undefined : startTerraformWorker();
  runBundled(
    // --help compiles little of the CLI: its code cache would leave the synth uncached.
    { ...SYNTH_BUNDLE, representative: !help },
    (entry) => {
      process.exitCode = (entry as typeof import('./main')).run(args, worker);
    },
  );
});
