import {
  API_IMAGE,
  API_ROLLOUT,
  APP_VERSION,
  REDIS_UID,
  apiEnvironment,
  apiEnvironmentManifest,
  commonLabels,
  defaultImageRepository,
  resourceNames,
  selectorLabels,
  terminationGracePeriodSeconds,
  type ApiVariableName,
  type FitTechConfig,
} from '@fittech/shared';
import { App } from 'cdk8s';
import type { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HelmChart, type ValuesOverrides } from '../helm/chart';
import { packageHelmChart, type ChartFiles, type ChartMetadata } from '../helm/packager';
import { renderHelmChart } from '../helm/renderer';
import { TEMPLATE_FORMS } from '../helm/template-language';
import type { ValuesDefinition } from '../helm/values';
import { toYamlDocuments } from '../helm/yaml';
import { ApiWithRedisSidecar } from '../workload/api-with-redis-sidecar';
import {
  apiWorkloadValues,
  secretValueName,
  type ApiWorkloadValues,
  type SecretValueOptions,
} from '../workload/values';

/** The version of this package: the chart's version. */
export const CHART_VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** The oldest Kubernetes the chart supports: native sidecars are on by default from 1.29. */
export const KUBE_VERSION_CONSTRAINT = '>=1.29.0-0';

const NO_CONTROL = '[^\\x00-\\x1f\\x7f]';
/** What a given secret value must look like (the API's contract, in RE2/ECMAScript syntax). */
const SECRET_PATTERNS: Partial<Record<ApiVariableName, string>> = {
  DATABASE_URL: `^postgres(ql)?://${NO_CONTROL}+$`,
  SECRET_KEY: `^${NO_CONTROL}{32,}$`,
};

/** The FitTech chart's values: defaults from the config, secrets from the API's environment contract. */
export function fitTechValues(config: FitTechConfig): ValuesDefinition<ApiWorkloadValues> {
  const names = resourceNames(config);
  const secrets: Record<string, SecretValueOptions> = {};
  for (const [variable, key] of Object.entries(apiEnvironmentManifest(config).secretKeys)) {
    const contract = apiEnvironment[variable as ApiVariableName];
    const pattern = SECRET_PATTERNS[variable as ApiVariableName];
    secrets[secretValueName(key)] = {
      description: `${variable}: ${contract.description}`,
      ...(pattern ? { pattern } : {}),
    };
  }
  return apiWorkloadValues({
    image: { repository: defaultImageRepository(config), tag: config.api.imageTag },
    replicaCount: config.api.replicas,
    resources: { api: config.api.resources, redis: config.redis.resources },
    secrets,
    secretName: names.secret,
  });
}

export interface FitTechChartProps {
  readonly config: FitTechConfig;
  /** Values merged over the defaults for this synthesis (as `helm --values` would). @default - the defaults */
  readonly valueOverrides?: ValuesOverrides<ApiWorkloadValues>;
}

/** The FitTech API chart: an {@link ApiWithRedisSidecar} configured entirely from @fittech/shared. */
export class FitTechChart extends HelmChart<ApiWorkloadValues> {
  readonly config: FitTechConfig;
  readonly workload: ApiWithRedisSidecar;

  constructor(scope: Construct, id: string, props: FitTechChartProps) {
    const { config } = props;
    super(scope, id, {
      values: fitTechValues(config),
      ...(props.valueOverrides ? { valueOverrides: props.valueOverrides } : {}),
      namespace: config.kubernetes.namespace,
    });
    this.config = config;
    const names = resourceNames(config);
    const environment = apiEnvironmentManifest(config);
    this.workload = new ApiWithRedisSidecar(this, 'Api', {
      name: names.deployment,
      names: {
        deployment: names.deployment,
        service: names.service,
        serviceAccount: names.serviceAccount,
        configMap: names.configMap,
        secret: names.secret,
        podDisruptionBudget: names.podDisruptionBudget,
        horizontalPodAutoscaler: names.horizontalPodAutoscaler,
        networkPolicy: names.networkPolicy,
        migrationJob: names.migrationJob,
        testPod: names.testPod,
      },
      selectorLabels: selectorLabels(config),
      labels: commonLabels(config, 'api'),
      api: {
        port: config.api.port,
        command: API_IMAGE.command,
        workingDir: API_IMAGE.workingDir,
        runAsUser: API_IMAGE.uid,
        runAsGroup: API_IMAGE.gid,
        healthPath: config.api.healthPath,
        readyPath: config.api.readyPath,
        environment: { config: environment.configMap, secrets: environment.secretKeys },
        preStopSleepSeconds: config.api.preStopSleepSeconds,
        terminationGracePeriodSeconds: terminationGracePeriodSeconds(config),
      },
      redis: {
        image: config.redis.image,
        port: config.redis.port,
        maxMemoryMiB: config.redis.maxMemoryMiB,
        runAsUser: REDIS_UID,
      },
      service: {
        port: config.service.port,
        loadBalancer: config.service.loadBalancer,
        targetType: config.service.targetType,
      },
      rollout: API_ROLLOUT,
      migration: { command: API_IMAGE.migrateCommand },
    });
  }
}

/** Chart.yaml of the FitTech chart. */
export function fitTechChartMetadata(config: FitTechConfig): ChartMetadata {
  return {
    name: `${config.project}-api`,
    version: CHART_VERSION,
    appVersion: APP_VERSION,
    description: `The ${config.project} REST API with its Redis cache sidecar, behind an AWS Network Load Balancer.`,
    kubeVersion: KUBE_VERSION_CONSTRAINT,
    keywords: [config.project, 'api', 'redis', 'eks'],
  };
}

/** Packages a FitTech chart with its NOTES.txt and README. */
export function packageFitTechChart(chart: FitTechChart): ChartFiles {
  const config = chart.config;
  return packageHelmChart(chart, {
    metadata: fitTechChartMetadata(config),
    notes: fitTechNotes(config),
    readme: ({ valuesTable, metadata }) => fitTechReadme(config, metadata, valuesTable),
  });
}

export interface ChartArtifacts {
  /**
   * Files of the Helm chart, paths relative to the chart dir: Chart.yaml, values.yaml,
   * values.schema.json, templates/*.yaml, templates/NOTES.txt, templates/tests/*.yaml, README.md, .helmignore.
   */
  readonly chart: Readonly<Record<string, string>>;
  /** The chart rendered with its default values, as plain YAML files (paths relative to dist/manifests/). */
  readonly manifests: Readonly<Record<string, string>>;
}

/**
 * Builds the FitTech Helm chart and renders it with its default values.
 * Pure and deterministic: nothing is written, and the same config gives the same bytes.
 * The rendered manifests leave out the `helm test` Pod (like `helm template --skip-tests`).
 */
export function synthesizeFitTechChart(config: FitTechConfig): ChartArtifacts {
  const chart = new FitTechChart(new App({ outdir: '.' }), 'fittech', { config });
  const files = packageFitTechChart(chart);
  const rendered = renderHelmChart(files, { namespace: config.kubernetes.namespace });
  const manifests: Record<string, string> = {};
  for (const [file, objects] of Object.entries(rendered.files)) {
    const name = file.replace(/^templates\//, '');
    manifests[name] =
      `# ${name}: the ${fitTechChartMetadata(config).name} chart rendered with its default values ` +
      `(namespace ${config.kubernetes.namespace}). Generated by @fittech/manifests; do not edit.\n` +
      toYamlDocuments(objects);
  }
  return { chart: files, manifests };
}

function fitTechNotes(config: FitTechConfig): string {
  const names = resourceNames(config);
  const ns = '{{ .Release.Namespace }}';
  const port = config.service.port;
  const jsonpath = "'{.status.loadBalancer.ingress[0].hostname}'";
  const secretKeys = Object.values(apiEnvironmentManifest(config).secretKeys);
  const firstSecret = secretKeys[0] === undefined ? undefined : secretValueName(secretKeys[0]);
  return [
    `The ${config.project} API is installed in namespace ${ns}.`,
    '',
    '1. Wait for the rollout (the migration hook Job has already run):',
    `     kubectl --namespace ${ns} rollout status deployment/${names.deployment} --timeout=5m`,
    '',
    '2. Get the load balancer hostname (AWS takes a few minutes to provision the NLB):',
    `     LB_HOST=$(kubectl --namespace ${ns} get service ${names.service} --output jsonpath=${jsonpath})`,
    '     echo "$LB_HOST"',
    '',
    '3. Health-check it (DNS and target registration can take a few more minutes):',
    `     curl --fail --retry 30 --retry-delay 10 --retry-all-errors "http://$LB_HOST:${port}${config.api.healthPath}"`,
    '',
    '4. Run the chart test (calls the health path through the Service from inside the cluster):',
    `     helm test ${names.release} --namespace ${ns}`,
    ...(firstSecret
      ? [
          `{{- if not .Values.secrets.${firstSecret} }}`,
          '',
          'The pods read their secrets from the existing Secret {{ .Values.secrets.existingSecret | quote }}',
          `(keys ${secretKeys.join(', ')}); create it before the pods can start.`,
          '{{- end }}',
        ]
      : []),
    '',
  ].join('\n');
}

function fitTechReadme(
  config: FitTechConfig,
  metadata: ChartMetadata,
  valuesTable: string,
): string {
  const names = resourceNames(config);
  const keys = Object.values(apiEnvironmentManifest(config).secretKeys);
  return [
    `# ${metadata.name}`,
    '',
    metadata.description,
    '',
    `Chart ${metadata.version}, app ${metadata.appVersion}, Kubernetes ${metadata.kubeVersion} (the Redis cache runs as a native sidecar).`,
    'Generated by `pnpm synth` from `@fittech/shared`; do not edit this chart by hand.',
    '',
    '## Install',
    '',
    '```sh',
    `helm upgrade --install ${names.release} ./dist/chart --namespace ${names.namespace} --create-namespace \\`,
    '  --set image.tag=<tag> \\',
    '  --set-string secrets.databaseUrl="$DATABASE_URL" --set-string secrets.secretKey="$SECRET_KEY" \\',
    '  --atomic --wait',
    `helm test ${names.release} --namespace ${names.namespace}`,
    '```',
    '',
    `Names, ports, paths and labels are fixed when the chart is built (release \`${names.release}\`, Deployment and Service`,
    `\`${names.deployment}\`): install it as release \`${names.release}\`. Only the values below change at deploy time.`,
    '',
    '## Secrets',
    '',
    `The pods read \`${keys.join('`, `')}\` from the Secret named by \`secrets.existingSecret\` (default \`${names.secret}\`).`,
    '',
    `- Give \`secrets.databaseUrl\` and \`secrets.secretKey\`: the chart creates \`${names.secret}\` from them (and a`,
    `  short-lived hook Secret \`${names.migrationJob}-secrets\` for the migration Job, which runs before the release's objects exist).`,
    `- Or give neither: the Secret \`secrets.existingSecret\` must already exist (create \`${names.secret}\` out of band, e.g. with`,
    '  External Secrets, or point `secrets.existingSecret` at another Secret).',
    '',
    'values.schema.json rejects one secret without the other, no secrets with an empty `existingSecret`, and given secrets',
    `together with an \`existingSecret\` other than \`${names.secret}\`. The default values render no Secret at all: an empty`,
    'Secret is never a default.',
    '',
    '## What it installs',
    '',
    `- Deployment \`${names.deployment}\`: the \`api\` container and \`redis\` as a native sidecar (127.0.0.1:${config.redis.port}, no persistence, ${config.redis.maxMemoryMiB} MB allkeys-lru).`,
    `  Rolling update with maxSurge ${API_ROLLOUT.maxSurge} and maxUnavailable ${API_ROLLOUT.maxUnavailable}; pods spread over zones and nodes; \`replicas\` is left to the HPA when autoscaling is enabled.`,
    `- Service \`${names.service}\`: type LoadBalancer (an NLB) on port ${config.service.port} → the \`http\` port; \`externalTrafficPolicy: Cluster\`.`,
    `- ServiceAccount (no token mounted), ConfigMap \`${names.configMap}\`, PodDisruptionBudget (maxUnavailable 1), NetworkPolicy (ingress to \`http\` only),`,
    '  HorizontalPodAutoscaler (when `autoscaling.enabled`).',
    `- Hook Job \`${names.migrationJob}\` (pre-install, pre-upgrade): the API image's migrate command with the API's environment.`,
    `- Test Pod \`${names.testPod}\` (\`helm test\`): curls \`${config.api.healthPath}\` through the Service.`,
    '',
    '## Values',
    '',
    valuesTable,
    '## Templates',
    '',
    'Templates are literal YAML generated from cdk8s constructs; the only Helm actions are these forms:',
    '',
    ...TEMPLATE_FORMS.map((f) => `- \`${f.form}\`: ${f.meaning}`),
    '',
  ].join('\n');
}
