import { resolveConfig, type FitTechConfig } from '@fittech/shared';
import { App } from 'cdk8s';
import {
  FitTechChart,
  packageFitTechChart,
  type ApiWorkloadValues,
  type KubernetesObject,
  type ValuesOverrides,
} from '@fittech/manifests';

/** Kubernetes JSON as assertions walk it: any shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export const devConfig: FitTechConfig = resolveConfig({ env: 'dev' });
export const prodConfig: FitTechConfig = resolveConfig({ env: 'prod' });

export const DATABASE_URL =
  'postgresql://fittech:s3cr%22et@db.example.internal:5432/fittech?sslmode=verify-full';
export const SECRET_KEY = 'k'.repeat(24) + '<&>"\\ quote+ünïcode';

/** Value sets a deployer may choose; each must render what the construct synthesizes for it. */
export const VALUE_VARIANTS: Record<string, ValuesOverrides<ApiWorkloadValues>> = {
  defaults: {},
  autoscaling: {
    autoscaling: {
      enabled: true,
      minReplicas: 3,
      maxReplicas: 9,
      targetCPUUtilizationPercentage: 60,
    },
  },
  'inline secrets': { secrets: { databaseUrl: DATABASE_URL, secretKey: SECRET_KEY } },
  'other existing secret': { secrets: { existingSecret: 'fittech-external' } },
  digest: {
    image: {
      repository: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/fittech-api',
      tag: '',
      digest: `sha256:${'ab'.repeat(32)}`,
    },
  },
  'resources and annotations': {
    replicaCount: 7,
    resources: {
      api: { requests: { cpu: '0.25', memory: '200Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      redis: { requests: { cpu: '20m', memory: '80Mi' }, limits: { cpu: '100m', memory: '128Mi' } },
    },
    podAnnotations: { 'prometheus.io/scrape': 'true', 'example.com/note': 'say "no" <here> & yes' },
  },
};

export function fitTechChart(
  config: FitTechConfig,
  valueOverrides?: ValuesOverrides<ApiWorkloadValues>,
): FitTechChart {
  return new FitTechChart(new App({ outdir: '.' }), 'fittech', {
    config,
    ...(valueOverrides ? { valueOverrides } : {}),
  });
}

export function packaged(
  config: FitTechConfig,
  valueOverrides?: ValuesOverrides<ApiWorkloadValues>,
) {
  const chart = fitTechChart(config, valueOverrides);
  return { chart, files: packageFitTechChart(chart) };
}

export const keyOf = (o: KubernetesObject) => `${o.kind}/${o.metadata.name}`;

/** Objects sorted by kind and name, as plain JSON (object-for-object comparisons). */
export function byKey(objects: readonly KubernetesObject[]): KubernetesObject[] {
  return (JSON.parse(JSON.stringify(objects)) as KubernetesObject[]).sort((a, b) =>
    keyOf(a).localeCompare(keyOf(b)),
  );
}

export function find(objects: readonly KubernetesObject[], kind: string, name?: string): Json {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? `/${name}` : ''}, found ${found.length}`);
  return found[0];
}
