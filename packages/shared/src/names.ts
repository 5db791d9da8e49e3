import type { FitTechConfig } from './schema';

/** The version of the API image and the `app.kubernetes.io/version` label (= @fittech/api's version). */
export const APP_VERSION = '0.1.0';

/**
 * Every name that two artifacts share, derived once. The Terraform, the
 * manifests, the Helm chart and the pipeline read names only from here.
 */
export interface ResourceNames {
  readonly cluster: string;
  readonly nodeGroup: string;
  readonly namespace: string;
  readonly release: string;
  readonly deployment: string;
  readonly service: string;
  readonly serviceAccount: string;
  readonly configMap: string;
  readonly secret: string;
  readonly podDisruptionBudget: string;
  readonly horizontalPodAutoscaler: string;
  readonly networkPolicy: string;
  readonly migrationJob: string;
  readonly testPod: string;
  readonly ecrRepository: string;
  readonly dbIdentifier: string;
  /** Container names inside the pod. */
  readonly containers: { readonly api: string; readonly redis: string; readonly migrate: string };
  /** Named container ports; the Service targets `http` by name. */
  readonly portNames: { readonly http: string; readonly redis: string };
}

export function resourceNames(config: FitTechConfig): ResourceNames {
  const release = config.kubernetes.releaseName;
  const api = `${release}-api`;
  return {
    cluster: config.cluster.name,
    nodeGroup: `${config.cluster.name}-nodes`,
    namespace: config.kubernetes.namespace,
    release,
    deployment: api,
    service: api,
    serviceAccount: api,
    configMap: `${api}-config`,
    secret: `${api}-secrets`,
    podDisruptionBudget: api,
    horizontalPodAutoscaler: api,
    networkPolicy: api,
    migrationJob: `${release}-migrate`,
    testPod: `${release}-test-health`,
    ecrRepository: config.ecr.repositoryName ?? `${config.project}-api`,
    dbIdentifier: `${config.cluster.name}-postgres`,
    containers: { api: 'api', redis: 'redis', migrate: 'migrate' },
    portNames: { http: 'http', redis: 'redis' },
  };
}

/** Labels that select the API's pods; they never change between releases. */
export function selectorLabels(config: FitTechConfig): Record<string, string> {
  return {
    'app.kubernetes.io/name': `${config.project}-api`,
    'app.kubernetes.io/instance': config.kubernetes.releaseName,
  };
}

/** The recommended labels on every object of the release. */
export function commonLabels(config: FitTechConfig, component = 'api'): Record<string, string> {
  return {
    ...selectorLabels(config),
    'app.kubernetes.io/version': APP_VERSION,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': config.project,
    'app.kubernetes.io/managed-by': 'Helm',
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
