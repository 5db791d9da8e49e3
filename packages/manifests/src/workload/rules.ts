import { podRuleProblems } from '@fittech/shared';
import type { ApiSettings } from './api-container';
import { HEALTH_TEST_DEFAULTS } from './hooks';
import type { ApiWithRedisSidecarProps } from './props';
import type { RedisSettings } from './redis-sidecar';
import type { ApiWorkloadValues } from './values';

/**
 * Refuses a workload whose parts contradict each other, naming the settings:
 * ports in one pod, probes, the preStop and grace period, Redis's memory,
 * pinned images. The rules are @fittech/shared's `podRuleProblems`, the same
 * function the FitTech configuration is checked with.
 */
export function checkWorkload(
  props: ApiWithRedisSidecarProps,
  api: ApiSettings,
  redis: RedisSettings,
  values: ApiWorkloadValues,
  where: string,
): void {
  const problems: string[] = [];
  for (const [name, port] of [
    ['api.port', api.port],
    ...(api.metricsPort === undefined ? [] : [['api.metricsPort', api.metricsPort] as const]),
    ['redis.port', redis.port],
  ] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      problems.push(`${name} (${port}) must be a port between 1 and 65535`);
  }
  const images: Record<string, string> = { 'redis.image': redis.image };
  if (props.healthTest !== false)
    images['healthTest.image'] = props.healthTest?.image ?? HEALTH_TEST_DEFAULTS.image;
  const broken = podRuleProblems(
    {
      apiPort: api.port,
      metricsPort: api.metricsPort,
      redisPort: redis.port,
      healthPath: api.healthPath,
      readyPath: api.readyPath,
      redisMaxMemoryMiB: redis.maxMemoryMiB,
      redisMemoryLimit: values.resources.redis.limits.memory,
      preStopSleepSeconds: api.preStopSleepSeconds,
      terminationGracePeriodSeconds: api.terminationGracePeriodSeconds,
      images,
    },
    {
      apiPort: 'api.port',
      metricsPort: 'api.metricsPort',
      redisPort: 'redis.port',
      healthPath: 'api.healthPath',
      readyPath: 'api.readyPath',
      redisMaxMemoryMiB: 'redis.maxMemoryMiB',
      redisMemoryLimit: 'resources.redis.limits.memory',
      preStopSleepSeconds: 'api.preStopSleepSeconds',
      terminationGracePeriodSeconds: 'api.terminationGracePeriodSeconds',
    },
  );
  problems.push(...broken.map((p) => `${p.path} (${JSON.stringify(p.value)}) ${p.message}`));
  if (problems.length > 0) {
    throw new Error(
      `${where}: ${problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`}`,
    );
  }
}
