import { memoryMiB } from './quantities';

/**
 * The rules a pod of "an API with a Redis cache sidecar" must follow, checked
 * by one function: the FitTech configuration uses it (config.ts), and so does
 * the `ApiWithRedisSidecar` construct of @fittech/manifests for any team's
 * service. Each problem names the setting by its path in the caller's terms.
 */

/** Why an image reference is not pinned, or undefined when it is (a version tag, or a digest). */
export function imagePinProblem(image: string): string | undefined {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return undefined;
  const tag = /:([\w][\w.-]{0,127})$/.exec(image.split('/').pop() ?? '')?.[1];
  if (tag === undefined) return 'must be pinned to a version tag or a digest (it has neither)';
  if (tag === 'latest') return 'must not use the "latest" tag: pin a version tag or a digest';
  return undefined;
}

/** A pinned image: a tag other than "latest", or a digest. */
export function isPinnedImage(image: string): boolean {
  return imagePinProblem(image) === undefined;
}

export interface PodRulesInput {
  readonly apiPort: number;
  /** The probes-and-metrics listener's port. @default - not checked */
  readonly metricsPort?: number;
  readonly redisPort: number;
  readonly healthPath: string;
  readonly readyPath: string;
  readonly redisMaxMemoryMiB: number;
  /** The sidecar's memory limit, a Kubernetes quantity ("96Mi"). */
  readonly redisMemoryLimit: string;
  /** @default - not checked */
  readonly preStopSleepSeconds?: number;
  /** @default - not checked */
  readonly terminationGracePeriodSeconds?: number;
  /** Images of the pod's containers, by the setting that chose each. */
  readonly images: Readonly<Record<string, string>>;
}

/** Where each input comes from in the caller's settings (for the messages). */
export interface PodRulePaths {
  readonly apiPort: string;
  readonly metricsPort?: string;
  readonly redisPort: string;
  readonly healthPath: string;
  readonly readyPath: string;
  readonly redisMaxMemoryMiB: string;
  readonly redisMemoryLimit: string;
  readonly preStopSleepSeconds?: string;
  readonly terminationGracePeriodSeconds?: string;
}

export interface PodRuleProblem {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

/** Every broken rule, each with the path and value of the setting to change and why. */
export function podRuleProblems(input: PodRulesInput, paths: PodRulePaths): PodRuleProblem[] {
  const problems: PodRuleProblem[] = [];
  const add = (path: string, value: unknown, message: string) =>
    problems.push({ path, value, message });
  // Every listener of the pod on a port of its own: the containers share one network namespace.
  const listeners: [string, number][] = [[paths.apiPort, input.apiPort]];
  if (input.metricsPort !== undefined)
    listeners.push([paths.metricsPort ?? 'metricsPort', input.metricsPort]);
  listeners.push([paths.redisPort, input.redisPort]);
  listeners.forEach(([path, port], i) => {
    const taken = listeners.slice(0, i).find(([, other]) => other === port);
    if (taken)
      add(path, port, `must differ from ${taken[0]} (${taken[1]}): both listen in the same pod`);
  });
  if (input.healthPath === input.readyPath) {
    add(
      paths.readyPath,
      input.readyPath,
      `must differ from ${paths.healthPath}: liveness and readiness answer different questions`,
    );
  }
  const limit = /^\d+(Ki|Mi|Gi)$/.test(input.redisMemoryLimit)
    ? memoryMiB(input.redisMemoryLimit)
    : undefined;
  if (limit !== undefined && input.redisMaxMemoryMiB >= limit) {
    add(
      paths.redisMaxMemoryMiB,
      input.redisMaxMemoryMiB,
      `must stay below the sidecar's memory limit (${paths.redisMemoryLimit} ${input.redisMemoryLimit}) to leave room for Redis itself, or the kernel kills it instead of evicting keys`,
    );
  }
  const { preStopSleepSeconds: preStop, terminationGracePeriodSeconds: grace } = input;
  if (preStop !== undefined && grace !== undefined && grace <= preStop) {
    add(
      paths.terminationGracePeriodSeconds ?? 'terminationGracePeriodSeconds',
      grace,
      `must exceed ${paths.preStopSleepSeconds ?? 'the preStop sleep'} (${preStop}), or SIGTERM never comes before SIGKILL`,
    );
  }
  for (const [path, image] of Object.entries(input.images)) {
    const problem = imagePinProblem(image);
    if (problem) add(path, image, problem);
  }
  return problems;
}
