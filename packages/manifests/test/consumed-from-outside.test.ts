import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Json } from './fixtures';

/**
 * Another team's view: `pnpm pack` this package (and @fittech/shared, a
 * workspace package it depends on at run time, which is packed alongside),
 * install the tarballs with npm into a project outside the workspace, and
 * there build a chart for a different service with the exported construct,
 * type-checked against the published declarations.
 */
const root = resolve(__dirname, '../../..');
const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
  });

const consumer = `
import { App } from 'cdk8s';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  ApiWithRedisSidecar,
  apiWorkloadValues,
  HelmChart,
  packageHelmChart,
  renderHelmChart,
  type ApiWithRedisSidecarProps,
} from '@fittech/manifests';
import { policyProblems, validateKubernetesObjects } from '@fittech/manifests/testing';

const workload: ApiWithRedisSidecarProps = {
  labels: { 'app.kubernetes.io/part-of': 'shop' },
  api: {
    port: 3000,
    runAsUser: 20000,
    healthPath: '/livez',
    readyPath: '/readyz',
    environment: {
      config: { LOG_LEVEL: 'info' },
      secrets: { PAYMENT_TOKEN: { key: 'payment-token', description: 'Token of the payment provider.', pattern: '^tok_[A-Za-z0-9]+$' } },
    },
  },
  redis: { maxMemoryMiB: 100 },
  service: { port: 8080, loadBalancer: 'aws-load-balancer-controller' },
  migration: { command: ['node', 'migrate.js'] },
};
const chart = new HelmChart(new App({ outdir: 'out' }), 'orders', {
  chart: { name: 'orders', version: '1.0.0', appVersion: '3.1.4', description: 'Orders API.', kubeVersion: '>=1.29.0-0' },
  values: apiWorkloadValues(workload, {
    image: { repository: 'ghcr.io/acme/orders', tag: '3.1.4' },
    replicaCount: 3,
    resources: {
      api: { requests: { cpu: '200m', memory: '256Mi' }, limits: { cpu: '1', memory: '512Mi' } },
      redis: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
    },
  }),
  release: { name: 'orders', namespace: 'shop' },
});
new ApiWithRedisSidecar(chart, 'api', workload);
const files = packageHelmChart(chart);
for (const [file, text] of Object.entries(files)) {
  mkdirSync(dirname(join('out', file)), { recursive: true });
  writeFileSync(join('out', file), text);
}
const rendered = renderHelmChart(files, {
  release: 'orders',
  namespace: 'shop',
  values: { secrets: { paymentToken: 'tok_abc123' }, autoscaling: { enabled: true } },
  includeTests: true,
});
let rejected = '';
try {
  renderHelmChart(files, { release: 'orders', namespace: 'shop', values: { secrets: { paymentToken: 'nope' } } });
} catch (e) {
  rejected = (e as Error).message;
}
process.stdout.write(JSON.stringify({
  files: Object.keys(files),
  objects: rendered.objects,
  validation: validateKubernetesObjects(rendered.objects),
  policy: policyProblems(rendered.objects),
  rejected,
}));
`;

describe('consumed from outside the workspace (pnpm pack, npm install, build a chart for another service)', () => {
  let dir: string;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the packed package installs and builds, validates and packages an "orders" chart', () => {
    dir = mkdtempSync(join(tmpdir(), 'fittech-consumer-'));
    const tarballs = join(dir, 'tarballs');
    mkdirSync(tarballs);
    // `pnpm pack` runs the prepack script, which builds dist/ (and @fittech/shared's, a project reference).
    for (const pkg of ['manifests', 'shared']) {
      run('pnpm', ['pack', '--pack-destination', tarballs], join(root, 'packages', pkg));
    }
    const [shared, manifests] = ['fittech-shared', 'fittech-manifests'].map((p) => {
      const file = readdirSync(tarballs).find((f) => f.startsWith(p))!;
      return `file:${join(tarballs, file)}`;
    });
    const project = join(dir, 'orders-chart');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'orders-chart',
        private: true,
        dependencies: {
          '@fittech/manifests': manifests,
          '@fittech/shared': shared,
          cdk8s: '2.70.106',
          constructs: '10.8.1',
        },
        // @fittech/shared is not on a registry: resolve the manifests package's dependency to the tarball too.
        overrides: { '@fittech/shared': shared },
      }),
    );
    run(
      'npm',
      ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
      project,
    );

    writeFileSync(join(project, 'build.ts'), consumer);
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'commonjs',
          strict: true,
          esModuleInterop: true,
          skipLibCheck: true,
          outDir: 'dist',
          types: ['node'],
          typeRoots: [join(root, 'node_modules/@types')],
        },
        files: ['build.ts'],
      }),
    );
    run(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
      project,
    );
    const result = JSON.parse(run(process.execPath, ['dist/build.js'], project)) as Json;

    expect(result.files).toEqual(
      expect.arrayContaining([
        'Chart.yaml',
        'values.yaml',
        'values.schema.json',
        'templates/deployment.yaml',
        'templates/tests/health-test.yaml',
      ]),
    );
    const byKind = (k: string) => result.objects.find((o: Json) => o.kind === k);
    const api = byKind('Deployment').spec.template.spec.containers[0];
    expect(api.image).toBe('ghcr.io/acme/orders:3.1.4');
    expect(api.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(api.readinessProbe.httpGet.path).toBe('/readyz');
    expect(byKind('Deployment').spec.template.spec.initContainers[0].args).toContain('100mb');
    expect(byKind('Service').spec).toMatchObject({
      loadBalancerClass: 'service.k8s.aws/nlb',
      ports: [{ port: 8080, targetPort: 'http' }],
    });
    expect(byKind('HorizontalPodAutoscaler').spec.minReplicas).toBe(3);
    expect(
      result.objects.find((o: Json) => o.kind === 'Secret' && o.metadata.name === 'orders-secrets')
        .stringData,
    ).toEqual({ 'payment-token': 'tok_abc123' });
    expect(result.validation.checked).toBe(result.objects.length);
    expect(result.validation.problems).toEqual([]);
    expect(result.policy).toEqual([]);
    expect(result.rejected).toMatch(/secrets\.paymentToken: must match pattern/);
  }, 120_000);
});
