import { DEFAULTS } from '@fittech/shared';
import * as kplus from 'cdk8s-plus-28';
import type { ApiContainerOptions } from './props';
import { containerSecurity, volumeName } from './security';

/** The API container's settings with their defaults applied. */
export interface ApiSettings {
  readonly port: number;
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

const httpGet = (path: string): kplus.k8s.Probe => ({
  httpGet: { path, port: kplus.k8s.IntOrString.fromString('http'), scheme: 'HTTP' },
});

/**
 * The API container: the `http` port, probes on it (startup and liveness on
 * the health path, readiness on the ready path), a preStop sleep so load
 * balancers stop sending before SIGTERM, and the restricted security context.
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
  return {
    name: 'api',
    image: parts.image,
    imagePullPolicy: 'IfNotPresent',
    ...(o.command ? { command: [...o.command] } : {}),
    ...(o.workingDir ? { workingDir: o.workingDir } : {}),
    ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
    env: parts.env,
    resources: parts.resources,
    startupProbe: {
      ...httpGet(s.healthPath),
      periodSeconds: 2,
      timeoutSeconds: 2,
      failureThreshold: Math.max(1, Math.ceil(s.startupTimeoutSeconds / 2)),
    },
    livenessProbe: {
      ...httpGet(s.healthPath),
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    },
    readinessProbe: {
      ...httpGet(s.readyPath),
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
