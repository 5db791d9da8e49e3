import type { FitTechConfig } from './schema';

/** The version of the API image and the `app.kubernetes.io/version` label (= @fittech/api's version). */
export const APP_VERSION = '0.1.0';

/** Longest Kubernetes object name the chart produces (a DNS-1123 label). */
const MAX_NAME = 63;

/** sprig's `trunc n | trimSuffix "-"` on an ASCII name. */
function truncateName(name: string, length: number): string {
  const cut = name.slice(0, length);
  return cut.endsWith('-') ? cut.slice(0, -1) : cut;
}

/** The inputs of the Helm naming rule: the release and the chart, and the chart's two overrides. */
export interface HelmNameInputs {
  readonly release: string;
  readonly chart: string;
  /** The chart value `nameOverride`. @default "" */
  readonly nameOverride?: string;
  /** The chart value `fullnameOverride`. @default "" */
  readonly fullnameOverride?: string;
}

/**
 * The full name of a release's objects, by Helm's rule (`helm create`'s
 * `<chart>.fullname`): fullnameOverride, else the release name when it already
 * contains the chart name, else "<release>-<chart name>"; at most 63 characters.
 * The chart's templates/_helpers.tpl applies the same rule, and the drift suite
 * and the real-Helm tests hold the two together.
 */
export function helmFullname(n: HelmNameInputs): string {
  if (n.fullnameOverride) return truncateName(n.fullnameOverride, MAX_NAME);
  const name = truncateName(n.nameOverride || n.chart, MAX_NAME);
  return n.release.includes(name)
    ? truncateName(n.release, MAX_NAME)
    : truncateName(`${n.release}-${name}`, MAX_NAME);
}

/** A full name with a suffix: the full name shortened so the whole suffix fits in 63 characters. */
export function helmSuffixedName(fullname: string, suffix: string): string {
  return `${truncateName(fullname, MAX_NAME - suffix.length - 1)}-${suffix}`;
}

/** The Helm chart of the API is named after the project. */
export function chartName(config: FitTechConfig): string {
  return config.project;
}

/**
 * Every name that two artifacts share, derived once. The Terraform, the
 * manifests, the Helm chart and the pipeline read names only from here.
 * Kubernetes object names are those Helm gives the chart's objects when it is
 * installed as `kubernetes.releaseName` (with no name overrides).
 */
export interface ResourceNames {
  readonly cluster: string;
  readonly nodeGroup: string;
  readonly namespace: string;
  readonly release: string;
  /** The Helm chart's name. */
  readonly chart: string;
  readonly deployment: string;
  readonly service: string;
  readonly serviceAccount: string;
  readonly configMap: string;
  /** The Secret the chart creates from the secret values (and the pods read unless `secrets.existingSecret`). */
  readonly secret: string;
  readonly podDisruptionBudget: string;
  readonly horizontalPodAutoscaler: string;
  readonly networkPolicy: string;
  readonly migrationJob: string;
  /** The hook Secret of the migration Job (it runs before the release's Secret exists). */
  readonly migrationSecret: string;
  readonly testPod: string;
  /** The ClusterIP Service of the pods' `metrics` port (never the public Service), scraped through the ServiceMonitor. */
  readonly metricsService: string;
  /** The ServiceMonitor and the PrometheusRule (Prometheus Operator objects, off by default). */
  readonly serviceMonitor: string;
  readonly prometheusRule: string;
  /** The SNS topic of the CloudWatch alarms, and the prefix of every alarm's name. */
  readonly alarmTopic: string;
  readonly alarmPrefix: string;
  readonly ecrRepository: string;
  readonly dbIdentifier: string;
  /** The least-privilege PostgreSQL role the API connects as (the migration keeps it). */
  readonly dbAppRole: string;
  /** The ServiceAccount of the migration hook Job (its Pod Identity role may read the master secret). */
  readonly migrationServiceAccount: string;
  /** The Cluster Autoscaler's Helm release, namespace and ServiceAccount (its Pod Identity association). */
  readonly clusterAutoscaler: {
    readonly release: string;
    readonly namespace: string;
    readonly serviceAccount: string;
  };
  /** Container names inside the pod. */
  readonly containers: { readonly api: string; readonly redis: string; readonly migrate: string };
  /**
   * Named container ports; the Service targets `http` by name, the probes and a scraper use
   * `metrics`, which no Service exposes.
   */
  readonly portNames: { readonly http: string; readonly metrics: string; readonly redis: string };
}

export function resourceNames(config: FitTechConfig): ResourceNames {
  const release = config.kubernetes.releaseName;
  const chart = chartName(config);
  const fullname = helmFullname({ release, chart });
  const suffixed = (suffix: string) => helmSuffixedName(fullname, suffix);
  return {
    cluster: config.cluster.name,
    nodeGroup: `${config.cluster.name}-nodes`,
    namespace: config.kubernetes.namespace,
    release,
    chart,
    deployment: fullname,
    service: fullname,
    serviceAccount: fullname,
    configMap: suffixed('config'),
    secret: suffixed('secrets'),
    podDisruptionBudget: fullname,
    horizontalPodAutoscaler: fullname,
    networkPolicy: fullname,
    migrationJob: suffixed('migrate'),
    migrationSecret: suffixed('migrate-secrets'),
    testPod: suffixed('test-health'),
    metricsService: suffixed('metrics'),
    serviceMonitor: fullname,
    prometheusRule: fullname,
    alarmTopic: `${config.cluster.name}-alarms`,
    alarmPrefix: config.cluster.name,
    ecrRepository: config.ecr.repositoryName ?? `${config.project}-api`,
    dbIdentifier: `${config.cluster.name}-postgres`,
    dbAppRole: `${config.database.username}_app`,
    migrationServiceAccount: suffixed('migrate'),
    clusterAutoscaler: {
      release: 'cluster-autoscaler',
      namespace: 'kube-system',
      serviceAccount: 'cluster-autoscaler',
    },
    containers: { api: 'api', redis: 'redis', migrate: 'migrate' },
    portNames: { http: 'http', metrics: 'metrics', redis: 'redis' },
  };
}

/** Labels that select the API's pods (as the chart sets them for the release); they never change between releases. */
export function selectorLabels(config: FitTechConfig): Record<string, string> {
  return {
    'app.kubernetes.io/name': chartName(config),
    'app.kubernetes.io/instance': config.kubernetes.releaseName,
    'app.kubernetes.io/component': 'api',
  };
}

/** The image repository the chart defaults to: the ECR URL when the account is known. */
export function defaultImageRepository(config: FitTechConfig): string {
  const name = resourceNames(config).ecrRepository;
  return config.accountId
    ? `${config.accountId}.dkr.ecr.${config.region}.amazonaws.com/${name}`
    : name;
}

/** Seconds Kubernetes waits after starting termination: the preStop sleep, the drain, and a margin. */
export function terminationGracePeriodSeconds(config: FitTechConfig): number {
  return config.api.preStopSleepSeconds + config.api.shutdownTimeoutSeconds + 5;
}

/** The URL the API uses for its Redis sidecar: loopback only. */
export function redisUrl(config: FitTechConfig): string {
  return `redis://127.0.0.1:${config.redis.port}/0`;
}

/**
 * The API image's layout, shared by the Dockerfile (checked by a test), the
 * manifests (container command, user, working dir) and the Terraform output
 * `database_url` (the CA bundle path for `sslrootcert`).
 */
export const API_IMAGE = {
  /** WORKDIR of the image: the workspace layout is kept below it. */
  workingDir: '/app',
  /** The server (relative paths resolve against workingDir). */
  command: ['node', 'packages/api/dist/main.js'],
  /** The migrations, run by the pre-install/pre-upgrade hook Job. */
  migrateCommand: ['node', 'packages/api/dist/migrate.js'],
  /** Numeric non-root user and group the image runs as. */
  uid: 10001,
  gid: 10001,
  /** The Amazon RDS CA bundle baked into the image, for `sslrootcert`. */
  rdsCaBundlePath: '/app/certs/rds-global-bundle.pem',
} as const;

/** The Redis sidecar's numeric user (the official image's `redis` user). */
export const REDIS_UID = 999;
