import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { renderHelmChart, type KubernetesObject } from '@fittech/manifests';
import { parseAllDocuments } from 'yaml';
import { byKey, devConfig, packaged, VALUE_VARIANTS } from './fixtures';

/**
 * The real Helm, when it is installed: `helm lint --strict` and
 * `helm template` must agree with the packager's own renderer, object for
 * object. Where no helm binary is on PATH these tests are skipped (not passed).
 */
const hasHelm = spawnSync('helm', ['version', '--short'], { encoding: 'utf8' }).status === 0;
const helmTest = hasHelm ? test : test.skip;
if (!hasHelm) {
  console.info(
    'helm lint / helm template comparison: SKIPPED, no helm binary on PATH (the packager renderer was checked instead)',
  );
}
const title = hasHelm
  ? 'helm lint and helm template'
  : 'helm lint and helm template (skipped: no helm binary on PATH)';

describe(title, () => {
  let dir = '';
  const { files } = packaged(devConfig);
  const namespace = devConfig.kubernetes.namespace;
  const helm = (...args: string[]) => spawnSync('helm', args, { encoding: 'utf8', cwd: dir });
  beforeAll(() => {
    if (!hasHelm) return;
    dir = mkdtempSync(join(tmpdir(), 'fittech-helm-'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, 'chart', file)), { recursive: true });
      writeFileSync(join(dir, 'chart', file), text);
    }
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  helmTest('helm lint --strict accepts the chart', () => {
    const result = helm('lint', '--strict', 'chart', '--kube-version', '1.31.0');
    expect(result.stderr + result.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  helmTest.each(Object.entries(VALUE_VARIANTS))(
    'helm template equals the packager’s renderer: %s',
    (name, values) => {
      const valuesFile = join(dir, `${name.replace(/\W+/g, '-')}.json`);
      writeFileSync(valuesFile, JSON.stringify(values));
      const result = helm(
        'template',
        devConfig.kubernetes.releaseName,
        'chart',
        '--namespace',
        namespace,
        '--kube-version',
        '1.31.0',
        '--values',
        valuesFile,
      );
      expect(result.stderr).toBe('');
      const fromHelm = parseAllDocuments(result.stdout, { version: '1.1' })
        .map((d) => d.toJS() as KubernetesObject | null)
        .filter((o): o is KubernetesObject => o !== null);
      const ours = renderHelmChart(files, { namespace, values, includeTests: true }).objects;
      expect(byKey(fromHelm)).toEqual(byKey(ours));
    },
  );

  helmTest('helm rejects invalid values through values.schema.json', () => {
    const result = helm(
      'template',
      'x',
      'chart',
      '--set',
      'replicaCount=-1',
      '--set',
      'image.tag=',
    );
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/replicaCount/);
    expect(result.stderr).toMatch(/image/);
  });
});
