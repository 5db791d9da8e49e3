/**
 * docs/api (the API reference, generated from the TSDoc by TypeDoc) is current:
 * regenerated into a temporary directory, it equals what is committed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const pkg = resolve(__dirname, '..');
const read = (dir: string) =>
  Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );

test('docs/api equals a fresh TypeDoc generation (else: pnpm --filter @fittech/manifests docs, and commit)', () => {
  const out = mkdtempSync(join(tmpdir(), 'fittech-apidocs-'));
  try {
    const typedoc = join(pkg, '..', '..', 'node_modules', 'typedoc', 'bin', 'typedoc');
    const result = spawnSync(process.execPath, [typedoc, '--out', out], {
      cwd: pkg,
      encoding: 'utf8',
    });
    expect(result.stdout + result.stderr).not.toMatch(/\[warning\]|\[error\]/);
    expect(result.status).toBe(0);
    expect(read(out)).toEqual(read(join(pkg, 'docs', 'api')));
    // Every public export is documented there.
    expect(read(out)['index.md']).toMatch(/### ApiWithRedisSidecar[\s\S]*### HelmChart/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
