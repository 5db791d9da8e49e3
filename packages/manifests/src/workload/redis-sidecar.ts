import { DEFAULTS } from '@fittech/shared';
import type * as kplus from 'cdk8s-plus-28';
import type { RedisSidecarOptions } from './props';
import { containerSecurity } from './security';

/** The sidecar's settings with their defaults applied. */
export interface RedisSettings {
  readonly image: string;
  readonly port: number;
  readonly maxMemoryMiB: number;
  readonly runAsUser: number;
  readonly urlVariable: string;
  /** What the API connects to: loopback only. */
  readonly url: string;
}

/** The sidecar's defaults: @fittech/shared's, the same the FitTech configuration defaults to. */
export const REDIS_DEFAULTS = {
  image: DEFAULTS.redis.image,
  port: DEFAULTS.redis.port,
  maxMemoryMiB: DEFAULTS.redis.maxMemoryMiB,
  runAsUser: DEFAULTS.redis.uid,
  urlVariable: 'REDIS_URL',
} as const;

export function redisSettings(options: RedisSidecarOptions = {}): RedisSettings {
  const port = options.port ?? REDIS_DEFAULTS.port;
  return {
    image: options.image ?? REDIS_DEFAULTS.image,
    port,
    maxMemoryMiB: options.maxMemoryMiB ?? REDIS_DEFAULTS.maxMemoryMiB,
    runAsUser: options.runAsUser ?? REDIS_DEFAULTS.runAsUser,
    urlVariable: options.urlVariable ?? REDIS_DEFAULTS.urlVariable,
    url: `redis://127.0.0.1:${port}/0`,
  };
}

/** The volume Redis may write to (it keeps nothing, but needs a writable working directory). */
export const REDIS_DATA_VOLUME = 'redis-data';

/**
 * Redis as a native sidecar: an init container with `restartPolicy: Always`
 * (Kubernetes ≥ 1.29), so it starts before the API and stops after it.
 * It listens on 127.0.0.1 only, keeps nothing on disk, evicts with
 * allkeys-lru below its memory limit, and is probed with `redis-cli ping`
 * (a kubelet TCP probe cannot reach a loopback-only port). It has no readiness
 * probe: a cache outage degrades to the database, it must not take the pod
 * out of the Service.
 */
export function redisSidecar(
  settings: RedisSettings,
  resources: kplus.k8s.ResourceRequirements,
): kplus.k8s.Container {
  const ping = {
    exec: { command: ['redis-cli', '-h', '127.0.0.1', '-p', String(settings.port), 'ping'] },
  };
  return {
    name: 'redis',
    image: settings.image,
    imagePullPolicy: 'IfNotPresent',
    restartPolicy: 'Always',
    command: ['redis-server'],
    args: [
      '--port',
      String(settings.port),
      '--bind',
      '127.0.0.1',
      '--protected-mode',
      'yes',
      '--save',
      '',
      '--appendonly',
      'no',
      '--maxmemory',
      `${settings.maxMemoryMiB}mb`,
      '--maxmemory-policy',
      'allkeys-lru',
      '--dir',
      '/data',
    ],
    ports: [{ name: 'redis', containerPort: settings.port, protocol: 'TCP' }],
    resources,
    startupProbe: { ...ping, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 30 },
    livenessProbe: { ...ping, periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3 },
    securityContext: containerSecurity(settings.runAsUser),
    volumeMounts: [{ name: REDIS_DATA_VOLUME, mountPath: '/data' }],
  };
}
