/**
 * Unpacks the real Helm binaries the chart tests use (see helm.ts) and prints
 * their versions: a step of CI, and what `pnpm test` does first.
 */
import { helmBinaries } from './helm';

for (const helm of helmBinaries()) {
  console.log(`helm ${helm.version} (${helm.source}): ${helm.path}`);
}
