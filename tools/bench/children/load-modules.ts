/**
 * Benchmark child, the floor of synth: node loading exactly the modules
 * packages/cli/src/synth/synth.ts imports (yaml, @fittech/shared, @fittech/manifests,
 * @fittech/infra) and running nothing. Prints one line of JSON.
 *
 * The heavy third-party libraries are loaded first, one at a time, each
 * resolved from the workspace package that depends on it (so it is the same
 * file that package loads), which splits the load time by library: each step
 * is what that library adds on top of the previous ones. The @fittech steps
 * are then each package's own code and whatever of its dependencies is left.
 */
import { dirname } from 'node:path';
import { printReport, runChild } from './report';

/** ≈ node's start-up: the clock starts at process start (performance.timeOrigin). */
const boot = performance.now();

const from = (workspacePackage: string) => dirname(require.resolve(workspacePackage));

/** [step name, module to resolve, resolved from (a workspace package) or this file]. */
const LOAD_STEPS: readonly (readonly [string, string, string?])[] = [
  ['yaml', 'yaml'],
  ['zod', 'zod', '@fittech/shared'],
  ['constructs', 'constructs', '@fittech/manifests'],
  ['cdk8s', 'cdk8s', '@fittech/manifests'],
  ['cdk8s-plus-28', 'cdk8s-plus-28', '@fittech/manifests'],
  ['@sinclair/typebox', '@sinclair/typebox', '@fittech/manifests'],
  ['ajv', 'ajv', '@fittech/manifests'],
  ['cdktf', 'cdktf', '@fittech/infra'],
  ['@fittech/shared', '@fittech/shared'],
  ['@fittech/manifests (+ rest)', '@fittech/manifests'],
  ['@fittech/infra (+ provider-aws/lib/*)', '@fittech/infra'],
];

runChild(async () => {
  const steps: { name: string; ms: number }[] = [];
  for (const [name, module, base] of LOAD_STEPS) {
    const path = base ? require.resolve(module, { paths: [from(base)] }) : module;
    const t = performance.now();
    await import(path);
    steps.push({ name, ms: performance.now() - t });
  }
  printReport(boot, { moduleLoad: performance.now() - boot, steps });
});
