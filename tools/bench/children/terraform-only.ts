/**
 * Benchmark child: the infra stack alone, `synthesizeTerraform(resolveConfig())`.
 *
 *   node terraform-only.js deep     @fittech/infra as built: deep imports of @cdktf/provider-aws
 *   node terraform-only.js barrel   the same, after loading the provider's barrel
 *                                   (`@cdktf/provider-aws`), as a stack importing it would
 *
 * The barrel is resolved from @fittech/infra's own directory, so it is the very
 * copy the stack uses: its `lib/<resource>` modules are then already in the
 * module cache when the stack's deep imports ask for them. The path is computed
 * at run time because the lint rule forbids naming the barrel in an import;
 * this file exists to measure what that rule saves. Prints one line of JSON,
 * with a hash of the Terraform so the parent can check both modes made the same.
 */
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type * as Infra from '@fittech/infra';
import type * as Shared from '@fittech/shared';
import { printReport, runChild } from './report';

/** ≈ node's start-up: the clock starts at process start (performance.timeOrigin). */
const boot = performance.now();

runChild(async () => {
  const mode = process.argv[2];
  if (mode !== 'deep' && mode !== 'barrel') {
    throw new Error(`usage: terraform-only.js deep|barrel (got "${mode ?? ''}")`);
  }
  let barrelLoad = 0;
  if (mode === 'barrel') {
    const infraDir = dirname(require.resolve('@fittech/infra'));
    const barrel = require.resolve('@cdktf/provider-aws', { paths: [infraDir] });
    const deepModule = require.resolve('@cdktf/provider-aws/lib/eks-cluster', {
      paths: [infraDir],
    });
    const t = performance.now();
    await import(barrel);
    barrelLoad = performance.now() - t;
    if (!require.cache[deepModule]) {
      throw new Error(
        `the barrel ${barrel} did not load ${deepModule}: it is not the copy @fittech/infra uses`,
      );
    }
  }
  const t0 = performance.now();
  const { resolveConfig }: typeof Shared = await import('@fittech/shared');
  const { synthesizeTerraform }: typeof Infra = await import('@fittech/infra');
  const t1 = performance.now();
  const files = synthesizeTerraform(resolveConfig({ env: 'dev' }));
  const t2 = performance.now();
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(name).update(files[name]!);
  printReport(boot, {
    mode,
    barrelLoad,
    moduleLoad: t1 - t0,
    terraform: t2 - t1,
    sha256: hash.digest('hex'),
  });
});
