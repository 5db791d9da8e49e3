/**
 * The checked-in generated files equal a fresh generation: .github/workflows,
 * the overrides JSON Schema and compose.yaml come from fittech.config.ts alone
 * (every environment, no overrides) by `pnpm synth`, and a change to the
 * config or the generators must come with the regenerated files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { STALE_WORKFLOWS_MESSAGE } from '@fittech/cli';
import project from '../fittech.config';
import { generate } from '@fittech/cli';

const REPO = resolve(__dirname, '..');

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

describe('the committed generated files are up to date', () => {
  const generated = generate({ project });
  const files: Record<string, string> = {
    ...Object.fromEntries(
      Object.entries(generated.workflows).map(([f, text]) => [
        join('.github', 'workflows', f),
        text,
      ]),
    ),
    ...generated.rootFiles,
  };

  it('covers the workflows, the overrides JSON Schema and compose.yaml', () => {
    expect(Object.keys(files).sort()).toEqual([
      '.github/workflows/ci.yml',
      '.github/workflows/deploy.yml',
      'compose.yaml',
      'fittech.overrides.schema.json',
    ]);
  });

  it.each(Object.keys(files))('%s equals a fresh generation', (file) => {
    const path = join(REPO, file);
    if (!existsSync(path)) {
      throw new Error(`${file} is missing: ${STALE_WORKFLOWS_MESSAGE}`);
    }
    const checkedIn = readFileSync(path, 'utf8');
    if (checkedIn !== files[file]) {
      throw new Error(
        `${file} is stale (${firstDifference(checkedIn, files[file]!)}): ${STALE_WORKFLOWS_MESSAGE}`,
      );
    }
  });
});
