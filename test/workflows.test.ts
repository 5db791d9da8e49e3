/**
 * The checked-in pipeline equals a fresh generation: .github/workflows is
 * generated from the dev and prod configs (no overrides) by `pnpm synth`, and
 * a change to the config or the generator must come with the regenerated files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ENVIRONMENTS, resolveConfig, type Environment, type FitTechConfig } from '@fittech/shared';
import { generateWorkflows, STALE_WORKFLOWS_MESSAGE } from '@fittech/infra';

const WORKFLOWS_DIR = resolve(__dirname, '..', '.github', 'workflows');

/** The first line where two texts differ, for the failure message. */
function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const e = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (a[i] !== e[i]) {
      return `line ${i + 1}:\n  checked in: ${a[i] ?? '(end of file)'}\n  generated:  ${e[i] ?? '(end of file)'}`;
    }
  }
  return '(no difference)';
}

describe('.github/workflows is up to date', () => {
  const configs = Object.fromEntries(
    ENVIRONMENTS.map((env) => [env, resolveConfig({ env })]),
  ) as Record<Environment, FitTechConfig>;
  const generated = generateWorkflows(configs);

  it.each(Object.keys(generated))('%s equals a fresh generation', (file) => {
    const path = join(WORKFLOWS_DIR, file);
    if (!existsSync(path)) {
      throw new Error(`.github/workflows/${file} is missing: ${STALE_WORKFLOWS_MESSAGE}`);
    }
    const checkedIn = readFileSync(path, 'utf8');
    if (checkedIn !== generated[file]) {
      throw new Error(
        `.github/workflows/${file} is stale (${firstDifference(checkedIn, generated[file]!)}): ${STALE_WORKFLOWS_MESSAGE}`,
      );
    }
  });
});
