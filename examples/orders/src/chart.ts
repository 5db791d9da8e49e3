/**
 * The "orders" service's Helm chart, built with @fittech/manifests: an HTTP
 * API on port 3000 with a Redis cache sidecar, its own environment contract,
 * a migration hook and a `helm test` Pod. Writes the chart to out/chart and
 * the chart rendered for the release to out/manifests.
 */
import { App } from 'cdk8s';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  ApiWithRedisSidecar,
  apiWorkloadValues,
  HelmChart,
  packageHelmChart,
  renderManifests,
  type ApiWithRedisSidecarProps,
} from '@fittech/manifests';

// What the service is made of: fixed when the chart is built.
const workload: ApiWithRedisSidecarProps = {
  labels: { 'app.kubernetes.io/part-of': 'shop' },
  api: {
    port: 3000,
    command: ['node', 'server.js'],
    runAsUser: 20000,
    healthPath: '/livez',
    readyPath: '/readyz',
    environment: {
      config: { LOG_LEVEL: 'info', PAYMENT_PROVIDER_URL: 'https://payments.example.com' },
      secrets: {
        DATABASE_URL: { key: 'database-url', pattern: '^postgres(ql)?://[^\\x00-\\x1f]+$' },
        PAYMENT_TOKEN: {
          key: 'payment-token',
          description: 'Token of the payment provider.',
          pattern: '^tok_[A-Za-z0-9]{8,}$',
        },
      },
    },
  },
  redis: { image: 'redis:7.4.2-alpine', port: 6380, maxMemoryMiB: 100 },
  service: { port: 8080, loadBalancer: 'aws-load-balancer-controller', targetType: 'ip' },
  migration: { command: ['node', 'migrate.js'] },
};

// What a deployer may change at install time: the chart's values, derived from the same props.
const chart = new HelmChart(new App(), 'orders', {
  chart: {
    name: 'orders',
    version: '1.4.0',
    appVersion: '3.1.4',
    description: 'The orders API of the shop, with its Redis cache sidecar.',
    kubeVersion: '>=1.29.0-0',
  },
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

// Write the chart (helm install ./out/chart) and its manifests for release "orders" (kubectl apply -f).
const files = packageHelmChart(chart);
const manifests = renderManifests(files, { release: 'orders', namespace: 'shop' });
const out = process.argv[2] ?? 'out';
rmSync(out, { recursive: true, force: true });
for (const [dir, written] of [
  ['chart', files],
  ['manifests', manifests],
] as const) {
  for (const [file, text] of Object.entries(written)) {
    mkdirSync(dirname(join(out, dir, file)), { recursive: true });
    writeFileSync(join(out, dir, file), text);
  }
}
console.log(
  `wrote ${Object.keys(files).length} chart files to ${join(out, 'chart')} and ${Object.keys(manifests).length} manifests to ${join(out, 'manifests')}`,
);
