import { DEFAULTS } from '@fittech/shared';
import * as kplus from 'cdk8s-plus-28';
import type { ApiContainerOptions, NetworkPolicyPeer } from './props';
import { containerSecurity, volumeName } from './security';

/** The API container's settings with their defaults applied. */
export interface ApiSettings {
  readonly port: number;
  /** Undefined: no `metrics` port, the probes ask `http`. */
  readonly metricsPort: number | undefined;
  readonly metricsScrapers: readonly NetworkPolicyPeer[];
  readonly healthPath: string;
  readonly readyPath: string;
  readonly runAsUser: number;
  readonly runAsGroup: number;
  readonly preStopSleepSeconds: number;
  readonly terminationGracePeriodSeconds: number;
  readonly startupTimeoutSeconds: number;
  readonly writable: readonly { readonly name: string; readonly path: string }[];
}

/**
 * The container's defaults: the probe paths and the preStop sleep are @fittech/shared's (the FitTech
 * configuration's); the user is the distroless images' `nonroot`, for any team's image.
 */
export const API_DEFAULTS = {
  /** A Prometheus in the namespace `monitoring` (kube-prometheus-stack's pods and usual namespace). */
  metricsScrapers: [
    {
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
    },
  ] as readonly NetworkPolicyPeer[],
  healthPath: DEFAULTS.api.healthPath,
  readyPath: DEFAULTS.api.readyPath,
  runAsUser: 65532,
  preStopSleepSeconds: DEFAULTS.api.preStopSleepSeconds,
  /** Seconds added to the preStop sleep for the default grace period. */
  drainSeconds: 30,
  startupTimeoutSeconds: 60,
  writablePaths: ['/tmp'],
} as const;

export function apiSettings(o: ApiContainerOptions): ApiSettings {
  const preStop = o.preStopSleepSeconds ?? API_DEFAULTS.preStopSleepSeconds;
  const runAsUser = o.runAsUser ?? API_DEFAULTS.runAsUser;
  return {
    port: o.port,
    metricsPort: o.metricsPort,
    metricsScrapers: o.metricsScrapers ?? API_DEFAULTS.metricsScrapers,
    healthPath: o.healthPath ?? API_DEFAULTS.healthPath,
    readyPath: o.readyPath ?? API_DEFAULTS.readyPath,
    runAsUser,
    runAsGroup: o.runAsGroup ?? runAsUser,
    preStopSleepSeconds: preStop,
    terminationGracePeriodSeconds:
      o.terminationGracePeriodSeconds ?? preStop + API_DEFAULTS.drainSeconds,
    startupTimeoutSeconds: o.startupTimeoutSeconds ?? API_DEFAULTS.startupTimeoutSeconds,
    writable: (o.writablePaths ?? API_DEFAULTS.writablePaths).map((path) => ({
      name: volumeName(path),
      path,
    })),
  };
}

/**
 * The probes ask the `metrics` port when there is one: clients of the public
 * `http` port cannot reach it.
 */
const httpGet = (path: string, port: 'http' | 'metrics'): kplus.k8s.Probe => ({
  httpGet: { path, port: kplus.k8s.IntOrString.fromString(port), scheme: 'HTTP' },
});

/**
 * The API container: the public `http` port and, with `metricsPort`, the
 * `metrics` port (probes and metrics, never in the Service), probes on the latter (startup and
 * liveness on the health path, readiness on the ready path), a preStop sleep
 * so load balancers stop sending before SIGTERM, and the restricted security
 * context.
 */
export function apiContainer(
  o: ApiContainerOptions,
  s: ApiSettings,
  parts: {
    readonly image: string;
    readonly env: kplus.k8s.EnvVar[];
    readonly resources: kplus.k8s.ResourceRequirements;
  },
): kplus.k8s.Container {
  const probePort = s.metricsPort === undefined ? 'http' : 'metrics';
  return {
    name: 'api',
    image: parts.image,
    imagePullPolicy: 'IfNotPresent',
    ...(o.command ? { command: [...o.command] } : {}),
    ...(o.workingDir ? { workingDir: o.workingDir } : {}),
    ports: [
      { name: 'http', containerPort: s.port, protocol: 'TCP' },
      ...(s.metricsPort === undefined
        ? []
        : [{ name: 'metrics', containerPort: s.metricsPort, protocol: 'TCP' }]),
    ],
    env: parts.env,
    resources: parts.resources,
    startupProbe: {
      ...httpGet(s.healthPath, probePort),
      periodSeconds: 2,
      timeoutSeconds: 2,
      failureThreshold: Math.max(1, Math.ceil(s.startupTimeoutSeconds / 2)),
    },
    livenessProbe: {
      ...httpGet(s.healthPath, probePort),
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    readinessProbe: {
      ...httpGet(s.readyPath, probePort),
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    ...(s.preStopSleepSeconds > 0
      ? { lifecycle: { preStop: { exec: { command: ['sleep', String(s.preStopSleepSeconds)] } } } }
      : {}),
    securityContext: containerSecurity(s.runAsUser, s.runAsGroup),
    volumeMounts: s.writable.map((w) => ({ name: w.name, mountPath: w.path })),
  };
}
