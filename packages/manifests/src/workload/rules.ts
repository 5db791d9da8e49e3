import type { ApiSettings } from './api-container';
import { HEALTH_TEST_DEFAULTS } from './hooks';
import type { ApiWithRedisSidecarProps } from './props';
import type { RedisSettings } from './redis-sidecar';
import type { ApiWorkloadValues } from './values';

/** MiB of a memory quantity in Ki, Mi or Gi (undefined for other units). */
function memoryMiB(quantity: string): number | undefined {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!m) return undefined;
  return Number(m[1]) * { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[m[2] as 'Ki' | 'Mi' | 'Gi'];
}

/** An image pinned to a tag other than "latest", or to a digest. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const last = image.split('/').pop() ?? '';
  const tag = /:([\w][\w.-]{0,127})$/.exec(last)?.[1];
  return tag !== undefined && tag !== 'latest';
}

/**
 * Refuses a workload whose parts contradict each other, naming the settings:
 * ports in one pod, probes, the preStop and grace period, Redis's memory,
 * pinned images.
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
    ['redis.port', redis.port],
  ] as const) {
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      problems.push(`${name} (${port}) must be a port between 1 and 65535`);
  }
  if (redis.port === api.port) {
    problems.push(
      `redis.port must differ from api.port (${api.port}): both listen in the same pod`,
    );
  }
  if (api.healthPath === api.readyPath) {
    problems.push(
      `api.readyPath must differ from api.healthPath (${api.healthPath}): liveness and readiness answer different questions`,
    );
  }
  if (api.terminationGracePeriodSeconds <= api.preStopSleepSeconds) {
    problems.push(
      `api.terminationGracePeriodSeconds (${api.terminationGracePeriodSeconds}) must exceed api.preStopSleepSeconds (${api.preStopSleepSeconds}), or SIGTERM never comes before SIGKILL`,
    );
  }
  const limit = memoryMiB(values.resources.redis.limits.memory);
  if (limit !== undefined && redis.maxMemoryMiB >= limit) {
    problems.push(
      `redis.maxMemoryMiB (${redis.maxMemoryMiB}) must stay below the sidecar's memory limit (resources.redis.limits.memory ${values.resources.redis.limits.memory}), or the kernel kills Redis instead of Redis evicting keys`,
    );
  }
  const images: [string, string][] = [['redis.image', redis.image]];
  if (props.healthTest !== false)
    images.push(['healthTest.image', props.healthTest?.image ?? HEALTH_TEST_DEFAULTS.image]);
  for (const [name, image] of images) {
    if (!isPinnedImage(image)) {
      problems.push(
        `${name} "${image}" must be pinned to a version tag or a digest (never "latest" or no tag)`,
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `${where}: ${problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`}`,
    );
  }
}
