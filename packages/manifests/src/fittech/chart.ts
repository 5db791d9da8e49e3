import {
  API_IMAGE,
  API_ROLLOUT,
  APP_VERSION,
  REDIS_UID,
  apiEnvironment,
  apiEnvironmentManifest,
  autoscalingMaxReplicas,
  chartName,
  defaultImageRepository,
  resourceNames,
  terminationGracePeriodSeconds,
  tlsListener,
  type ApiVariableName,
  type FitTechConfig,
} from '@fittech/shared';
import { App } from 'cdk8s';
import type { Construct } from 'constructs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StandardValues } from '../chart/chart-values';
import { HelmChart, type ChartMetadata, type ValuesOverrides } from '../chart/helm-chart';
import {
  packageAndCheck,
  packageHelmChart,
  type ChartFiles,
  type PackageHelmChartOptions,
} from '../chart/packager';
import { manifestFiles, renderManifests } from '../chart/renderer';
import { sameJson } from '../json';
import type { ValuesDefinition } from '../values/definition';
import { ApiWithRedisSidecar } from '../workload/api-with-redis-sidecar';
import type { ApiWithRedisSidecarProps, SecretVariable } from '../workload/props';
import { apiWorkloadValues, type ApiWorkloadValues } from '../workload/values';
import { fitTechNotes, fitTechReadme } from './docs';
import { fitTechRuleGroups } from './alert-rules';

/**
 * The version of this package: the project's release version, and the chart's version
 * when no other is given (synth gives one that names the commit, see chartVersion in
 * @fittech/shared).
 */
export const CHART_VERSION: string = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

/** The oldest Kubernetes the chart supports: native sidecars are on by default from 1.29. */
export const KUBE_VERSION_CONSTRAINT = '>=1.29.0-0';

/** A dumbbell, as a data URL: the chart carries its icon, no host to keep alive. */
const ICON =
  'data:image/svg+xml;base64,' +
  Buffer.from(
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#0f766e"/>' +
      '<rect x="8" y="22" width="8" height="20" rx="2" fill="#fff"/><rect x="48" y="22" width="8" height="20" rx="2" fill="#fff"/>' +
      '<rect x="16" y="27" width="6" height="10" rx="1" fill="#fff"/><rect x="42" y="27" width="6" height="10" rx="1" fill="#fff"/>' +
      '<rect x="22" y="30" width="20" height="4" fill="#fff"/></svg>',
  ).toString('base64');

const NO_CONTROL = '[^\\x00-\\x1f\\x7f]';
/** What a given secret value must look like (the API's contract, in RE2/ECMAScript syntax). */
const SECRET_PATTERNS: Partial<Record<ApiVariableName, string>> = {
  DATABASE_URL: `^postgres(ql)?://${NO_CONTROL}+$`,
  SECRET_KEY: `^${NO_CONTROL}{32,}$`,
};

/** The workload, entirely from the configuration: ports, paths, the environment contract, the sidecar. */
export function fitTechWorkload(config: FitTechConfig): ApiWithRedisSidecarProps {
  const environment = apiEnvironmentManifest(config);
  const tls = tlsListener(config);
  const secrets: Record<string, SecretVariable> = {};
  for (const [variable, key] of Object.entries(environment.secretKeys)) {
    const pattern = SECRET_PATTERNS[variable as ApiVariableName];
    secrets[variable] = {
      key,
      description: `${variable}: ${apiEnvironment[variable as ApiVariableName].description}`,
      ...(pattern ? { pattern } : {}),
    };
  }
  return {
    labels: { 'app.kubernetes.io/part-of': config.project },
    api: {
      port: config.api.port,
      metricsPort: config.api.metricsPort,
      command: API_IMAGE.command,
      workingDir: API_IMAGE.workingDir,
      runAsUser: API_IMAGE.uid,
      runAsGroup: API_IMAGE.gid,
      healthPath: config.api.healthPath,
      readyPath: config.api.readyPath,
      environment: { config: environment.configMap, secrets },
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
      ...(tls ? { tls: { ...tls, plainHttp: config.service.allowPlainHttp } } : {}),
    },
    rollout: API_ROLLOUT,
    migration: { command: API_IMAGE.migrateCommand },
    metrics: {
      path: '/metrics',
      rules: (target) => fitTechRuleGroups(config, target),
    },
  };
}

/** The FitTech chart's values: defaults from the config, secrets from the API's environment contract. */
export function fitTechValues(config: FitTechConfig): ValuesDefinition<ApiWorkloadValues> {
  return apiWorkloadValues(fitTechWorkload(config), {
    image: { repository: defaultImageRepository(config), tag: config.api.imageTag },
    replicaCount: config.api.replicas,
    // The maximum the capacity check held to nodeGroup.maxSize nodes.
    autoscaling: { maxReplicas: autoscalingMaxReplicas(config) },
    resources: { api: config.api.resources, redis: config.redis.resources },
  });
}

/** The chart's version and the API's, for Chart.yaml. */
export interface ChartVersions {
  /** Chart.yaml `version`. @default CHART_VERSION (this package's version) */
  readonly version?: string;
  /** Chart.yaml `appVersion`: the API's version. @default APP_VERSION */
  readonly appVersion?: string;
}

/** Chart.yaml of the FitTech chart. */
export function fitTechChartMetadata(
  config: FitTechConfig,
  versions: ChartVersions = {},
): ChartMetadata {
  return {
    name: chartName(config),
    version: versions.version ?? CHART_VERSION,
    appVersion: versions.appVersion ?? APP_VERSION,
    description: `The ${config.project} REST API with its Redis cache sidecar, behind an AWS Network Load Balancer.`,
    kubeVersion: KUBE_VERSION_CONSTRAINT,
    icon: ICON,
    keywords: [config.project, 'api', 'redis', 'eks'],
  };
}

export interface FitTechChartProps {
  readonly config: FitTechConfig;
  /** Values coalesced over the defaults for this synthesis (as `helm --values` would). @default - the defaults */
  readonly valueOverrides?: ValuesOverrides<ApiWorkloadValues & StandardValues>;
  /** The release to synthesize for. @default - the configured kubernetes.releaseName and namespace */
  readonly release?: { readonly name?: string; readonly namespace?: string };
  /** Chart.yaml's version and appVersion. @default - see {@link ChartVersions} */
  readonly versions?: ChartVersions;
}

/** The FitTech API chart: an {@link ApiWithRedisSidecar} configured entirely from @fittech/shared. */
export class FitTechChart extends HelmChart<ApiWorkloadValues> {
  readonly config: FitTechConfig;
  readonly workload: ApiWithRedisSidecar;

  constructor(scope: Construct, id: string, props: FitTechChartProps) {
    const { config } = props;
    const names = resourceNames(config);
    super(scope, id, {
      chart: fitTechChartMetadata(config, props.versions),
      values: fitTechValues(config),
      release: { name: names.release, namespace: names.namespace, ...props.release },
      ...(props.valueOverrides ? { valueOverrides: props.valueOverrides } : {}),
    });
    this.config = config;
    this.workload = new ApiWithRedisSidecar(this, 'Api', fitTechWorkload(config));
  }
}

/** Packages a FitTech chart with its NOTES.txt and README. */
export function packageFitTechChart(chart: FitTechChart): ChartFiles {
  return packageHelmChart(chart, fitTechPackaging(chart.config));
}

function fitTechPackaging(config: FitTechConfig): PackageHelmChartOptions {
  return {
    notes: fitTechNotes(config),
    readme: ({ valuesTable, metadata }) => fitTechReadme(config, metadata, valuesTable),
  };
}

export interface ChartArtifacts {
  /**
   * Files of the Helm chart, paths relative to the chart dir: Chart.yaml, values.yaml,
   * values.schema.json, templates/*.yaml, templates/_helpers.tpl, templates/NOTES.txt,
   * templates/tests/*.yaml, README.md, .helmignore.
   */
  readonly chart: Readonly<Record<string, string>>;
  /**
   * The chart rendered for the configured release with its default values, as plain YAML
   * files (paths relative to dist/manifests/), without the `helm test` Pod.
   */
  readonly manifests: Readonly<Record<string, string>>;
}

/**
 * Builds the FitTech Helm chart and renders it for the configured release with
 * its default values. Pure and deterministic: nothing is written, and the same
 * config gives the same bytes.
 */
export function synthesizeFitTechChart(
  config: FitTechConfig,
  versions: ChartVersions = {},
): ChartArtifacts {
  const chart = new FitTechChart(new App({ outdir: '.' }), 'fittech', { config, versions });
  const { files, checked } = packageAndCheck(chart, fitTechPackaging(config));
  const names = resourceNames(config);
  const release = { release: names.release, namespace: names.namespace };
  // The packaging check rendered the chart for this release with the chart's values, which are
  // its defaults (no overrides here): that is dist/manifests, so it is not rendered twice. The
  // rendering depends only on the files, the release and the values the templates saw: those are
  // compared to be sure (with values.yaml's), and the chart is rendered again if they differ.
  const sameRendering =
    chart.synthesisRelease.name === names.release &&
    chart.synthesisRelease.namespace === names.namespace &&
    sameJson(checked.values, checked.defaults);
  return {
    chart: files,
    manifests: sameRendering
      ? manifestFiles(checked, {
          chartName: chart.metadata.name,
          ...release,
          defaultValues: true,
          includeTests: false,
        })
      : renderManifests(files, release),
  };
}
