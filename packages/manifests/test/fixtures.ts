import { resolveConfig, resourceNames, type FitTechConfig } from '@fittech/shared';
import { App } from 'cdk8s';
import {
  FitTechChart,
  packageFitTechChart,
  renderHelmChart,
  type ApiWorkloadValues,
  type KubernetesObject,
  type StandardValues,
  type ValuesOverrides,
} from '@fittech/manifests';
import project from '../../../fittech.config';

/** Kubernetes JSON as assertions walk it: any shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
export type Overrides = ValuesOverrides<ApiWorkloadValues & StandardValues>;

export const devConfig: FitTechConfig = resolveConfig({ env: 'dev' });
/** The committed project's prod: HTTPS at the load balancer (a certificate is required in prod). */
export const prodConfig: FitTechConfig = resolveConfig({ project, env: 'prod' });
export const names = resourceNames(devConfig);

export const DATABASE_URL =
  'postgresql://fittech:s3cr%22et@db.example.internal:5432/fittech?sslmode=verify-full';
export const SECRET_KEY = 'k'.repeat(24) + '<&>"\\ quote+ünïcode';

/**
 * Value sets a deployer may choose, covering every branch of every template;
 * each must render, with our renderer and with real Helm, exactly what the
 * construct synthesizes for it.
 */
export const VALUE_VARIANTS: Record<string, Overrides> = {
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
  'an existing secret': { secrets: { existingSecret: 'fittech-external' } },
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
  scheduling: {
    nodeSelector: { 'kubernetes.io/arch': 'arm64', 'node.example.com/pool': 'api' },
    tolerations: [
      { key: 'dedicated', operator: 'Equal', value: 'api', effect: 'NoSchedule' },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 30,
      },
    ],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [
                {
                  key: 'topology.kubernetes.io/zone',
                  operator: 'In',
                  values: ['eu-west-1a', 'eu-west-1b'],
                },
              ],
            },
          ],
        },
      },
    },
    topologySpreadConstraints: [
      {
        maxSkew: 2,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: { matchLabels: { team: 'fit' } },
      },
    ],
    priorityClassName: 'high-priority',
  },
  'no spread, pull secrets, extra env, labels': {
    topologySpreadConstraints: [],
    imagePullSecrets: [{ name: 'regcred' }, { name: 'mirror-creds' }],
    extraEnv: [
      { name: 'FEATURE_FLAGS', value: 'a,b' },
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ],
    podLabels: { team: 'fitness', 'cost-center': '1234' },
    service: {
      annotations: {
        'service.beta.kubernetes.io/aws-load-balancer-additional-resource-tags':
          'team=fitness,env=dev',
      },
    },
  },
  'metrics: ServiceMonitor and PrometheusRule': {
    metrics: {
      serviceMonitor: {
        enabled: true,
        namespace: 'monitoring',
        interval: '15s',
        scrapeTimeout: '5s',
        labels: { release: 'kube-prometheus-stack' },
      },
      prometheusRule: {
        enabled: true,
        labels: { release: 'kube-prometheus-stack', role: 'alert-rules' },
      },
    },
  },
  'name overrides': { nameOverride: 'gym', fullnameOverride: '' },
  'full name override': { fullnameOverride: 'fit-api-blue' },
  'awkward strings': {
    podAnnotations: {
      'example.com/quotes': `it's "quoted" \\ and 'single'`,
      'example.com/colon': 'key: value # not a comment',
      'example.com/star': '*alias &anchor !tag %percent @at `tick`',
      'example.com/unicode':
        'line\u2028separator\u2029paragraph\u00a0nbsp\u200bzero-width ünï 😀 \ud83c\udff3\ufe0f',
      'example.com/number': '0123',
      'example.com/float': '1e3',
      'example.com/bool': 'no',
      'example.com/null': 'null',
      'example.com/tilde': '~',
      'example.com/multi': 'first line\nsecond line\n\ttabbed',
      'example.com/long': 'x'.repeat(3000),
      'example.com/empty': '',
      'example.com/template': '{{ .Values.secrets }}',
    },
    podLabels: { version: '1.10', enabled: 'true', octal: '0o17' },
    nodeSelector: { 'example.com/yes': 'yes', 'example.com/on': 'on' },
  },
};

/** The FitTech chart with value overrides (and, optionally, another release). */
export function fitTechChart(
  config: FitTechConfig,
  valueOverrides?: Overrides,
  release?: { name?: string; namespace?: string },
): FitTechChart {
  return new FitTechChart(new App({ outdir: '.' }), 'fittech', {
    config,
    ...(valueOverrides ? { valueOverrides } : {}),
    ...(release ? { release } : {}),
  });
}

export function packaged(config: FitTechConfig, valueOverrides?: Overrides) {
  const chart = fitTechChart(config, valueOverrides);
  return { chart, files: packageFitTechChart(chart) };
}

/** Renders chart files for the configured release (as the pipeline installs it). */
export function render(
  files: Readonly<Record<string, string>>,
  values?: unknown,
  options: { release?: string; namespace?: string; includeTests?: boolean } = {},
) {
  return renderHelmChart(files, {
    release: options.release ?? names.release,
    namespace: options.namespace ?? names.namespace,
    ...(values !== undefined ? { values } : {}),
    includeTests: options.includeTests ?? true,
  });
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
