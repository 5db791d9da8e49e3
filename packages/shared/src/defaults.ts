import { API_IMAGE, REDIS_UID } from './names';

/**
 * The documented defaults that more than one package needs. The schema
 * defaults to them, the API's environment contract falls back to them, and
 * the manifests' construct should default to them too, so a default is
 * spelled once. `fittech.config.ts` overrides any of them.
 */
export const DEFAULTS = {
  project: 'fittech',
  region: 'us-east-1',
  api: {
    port: 8000,
    /**
     * The probes' and metrics' own port: the kubelet and a scraper reach it, the public Service
     * never exposes it, so no client can drive readiness or read the metrics.
     */
    metricsPort: 9090,
    healthPath: '/health',
    readyPath: '/ready',
    replicas: 2,
    /** Upper bound of replicas (and of the autoscaler's maximum). */
    maxReplicas: 100,
    preStopSleepSeconds: 10,
    shutdownTimeoutSeconds: 20,
    dbPoolMax: 10,
    cacheTtlSeconds: 300,
    accessTokenExpireMinutes: 30,
    jwtAlgorithm: 'HS256',
    logLevel: 'info',
    /** The image's non-root user and group. */
    uid: API_IMAGE.uid,
    gid: API_IMAGE.gid,
  },
  redis: {
    port: 6379,
    image: 'redis:7.4.2-alpine',
    maxMemoryMiB: 48,
    /** The official image's `redis` user. */
    uid: REDIS_UID,
  },
  service: {
    port: 80,
    /** The TLS listener: port and the NLB security policy (AWS's recommended TLS 1.3 policy). */
    tls: { port: 443, policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' },
  },
  database: { port: 5432, name: 'fittech', username: 'fittech' },
} as const;
