/**
 * `node packages/cli/dist/bundle/prepare.js`: builds every CLI bundle that is missing
 * or out of date (`pnpm build`, `pnpm test` and `pnpm bench` run it after
 * tsc), so that their runs do not build one on the way, several at once.
 */
import { dirname, relative, sep } from 'node:path';
import { readFileSync } from 'node:fs';
import { buildBundle } from './build';
import { isCurrent, manifestPath, type BundleManifest } from './manifest';
import { BUNDLES } from './specs';

async function main(): Promise<void> {
  for (const spec of BUNDLES) {
    const dir = dirname(spec.bundle);
    let manifest: BundleManifest | undefined;
    try {
      manifest = JSON.parse(readFileSync(manifestPath(spec.bundle), 'utf8')) as BundleManifest;
    } catch {
      // Never built.
    }
    const entry = relative(dir, spec.entry).split(sep).join('/');
    if (manifest && isCurrent(dir, manifest, entry)) continue;
    const started = performance.now();
    await buildBundle(spec);
    process.stdout.write(
      `bundle: built ${relative(process.cwd(), spec.bundle)} in ${Math.round(performance.now() - started)} ms\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bundle: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
