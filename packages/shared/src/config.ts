import { z } from 'zod';
import { configSchema, dns1123Label, type Environment, type FitTechConfig } from './schema';
import { DEFAULTS } from './defaults';
import { deepMerge, isPlainObject } from './merge';
import { ConfigError, type ConfigProblem } from './config-error';
import { environmentNames, type ConfigOverrides, type ProjectConfig } from './project';
import { didYouMean } from './suggest';
import { resourceNames } from './names';
import { cpuMillis, memoryMiB } from './quantities';
import { checkCapacity } from './capacity';
import { podRuleProblems } from './pod-rules';
import { endpointProblems } from './endpoint';
import { observabilityProblems } from './observability';

export { ConfigError, type ConfigProblem };

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Where a path of the overrides file stands in it (`preview.yaml:3:3`), when known. */
export type Locate = (path: readonly (string | number)[]) => string | undefined;

export interface ResolveOptions {
  /** The environment to resolve (default `dev`). With `project`, one that the project declares. */
  readonly env?: Environment;
  /** The project configuration (fittech.config.ts); without it, only the documented defaults. */
  readonly project?: ProjectConfig;
  /** Names the project configuration in messages (default `fittech.config.ts`). */
  readonly projectSource?: string;
  /** An ad-hoc partial configuration deep-merged last (a preview). */
  readonly overrides?: ConfigOverrides | Record<string, unknown>;
  /** Names the overrides in messages, e.g. the overrides file's path. */
  readonly source?: string;
  /** Locates a path of the overrides in their file, for messages. */
  readonly locate?: Locate;
}

/**
 * Resolves and validates a configuration in layers: the schema's documented
 * defaults, the project's common settings, the environment's section, then
 * the ad-hoc overrides; then the rules that span several fields (distinct
 * ports, derived names, sizes, capacity). Throws a ConfigError listing every
 * problem with its path, value and reason (and "did you mean" for a typo).
 */
export function resolveConfig(options: ResolveOptions = {}): FitTechConfig {
  const env = options.env ?? 'dev';
  const projectSource = options.projectSource ?? 'fittech.config.ts';
  const sources = [
    ...(options.project ? [projectSource] : []),
    ...(options.source ? [options.source] : []),
  ];
  const subject = `configuration for env "${env}"${sources.length ? ` (${sources.join(' + ')})` : ''}`;
  const fail = (problems: ConfigProblem[]): never => {
    throw new ConfigError(problems, subject);
  };

  let base: Record<string, unknown> = {};
  if (options.project) {
    const { environments, ...common } = options.project as ProjectConfig & Record<string, unknown>;
    const declared = environmentNames(options.project);
    if (!isPlainObject(environments) || declared.length === 0) {
      fail([
        {
          path: 'environments',
          value: environments,
          message: `must declare at least one environment in ${projectSource}`,
        },
      ]);
    }
    if (!declared.includes(env)) {
      const guess = didYouMean(env, declared);
      fail([
        {
          path: 'environment',
          value: env,
          message: `is not declared in ${projectSource}; declared: ${declared.join(', ')}${guess ? `; did you mean "${guess}"?` : ''}`,
        },
      ]);
    }
    base = deepMerge(common, environments[env]);
  }
  const overrides = options.overrides ?? {};
  if (!isPlainObject(overrides)) {
    fail([
      {
        path: '(root)',
        value: overrides,
        message: 'must be an object with the shape of the config',
      },
    ]);
  }
  for (const [layer, name] of [
    [base, projectSource],
    [overrides, options.source ?? 'the overrides'],
  ] as const) {
    if ('environment' in layer) {
      fail([
        {
          path: 'environment',
          value: (layer as Record<string, unknown>).environment,
          message: `cannot be set in ${name}: it is the --env being resolved (the keys of environments in ${projectSource})`,
        },
      ]);
    }
  }
  const fromOverrides = (path: readonly PropertyKey[]) => valueAt(overrides, path) !== undefined;
  const locate = (path: readonly PropertyKey[]) =>
    options.locate && fromOverrides(path)
      ? options.locate(path.map((p) => (typeof p === 'number' ? p : String(p))))
      : undefined;

  const input = deepMerge(deepMerge(base, overrides), { environment: env }) as Record<
    string,
    unknown
  >;
  // The cluster's name follows the project and the environment unless it is chosen.
  const project = typeof input.project === 'string' ? input.project : DEFAULTS.project;
  input.cluster = {
    name: `${project}-${env}`,
    ...(isPlainObject(input.cluster) ? input.cluster : {}),
  };

  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    fail(parsed.error.issues.flatMap((issue) => toProblems(issue, input, locate)));
  }
  const config = parsed.data!;
  const problems = crossFieldProblems(config);
  if (problems.length > 0) fail(problems);
  return config;
}

/** The keys the schema knows at a path (`api` → port, replicas, …), for "did you mean". */
export function knownKeys(path: readonly PropertyKey[]): string[] {
  let schema: z.core.$ZodType = configSchema;
  for (const key of [...path, undefined]) {
    // Unwrap defaults, prefaults and optionals down to the object.
    for (;;) {
      const def = schema._zod.def as {
        type: string;
        innerType?: z.core.$ZodType;
        element?: z.core.$ZodType;
      };
      if (def.innerType) schema = def.innerType;
      else break;
    }
    const def = schema._zod.def as {
      type: string;
      shape?: Record<string, z.core.$ZodType>;
      element?: z.core.$ZodType;
    };
    if (key === undefined) return def.shape ? Object.keys(def.shape) : [];
    if (def.type === 'array' && def.element) schema = def.element;
    else if (def.shape && typeof key === 'string' && def.shape[key]) schema = def.shape[key]!;
    else return [];
  }
  return [];
}

function toProblems(
  issue: z.core.$ZodIssue,
  input: unknown,
  locate: (p: readonly PropertyKey[]) => string | undefined,
): ConfigProblem[] {
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeys(issue.path);
    return issue.keys.map((key) => {
      const path = [...issue.path, key];
      const guess = didYouMean(key, known);
      const location = locate(path);
      return {
        path: path.map(String).join('.'),
        value: valueAt(input, path),
        message: `is not a known setting; ${guess ? `did you mean "${guess}"?` : `known here: ${known.join(', ')}`}`,
        ...(location ? { location } : {}),
      };
    });
  }
  const value = valueAt(input, issue.path);
  const message =
    issue.code === 'invalid_type' && value === undefined ? 'is required' : issue.message;
  const location = locate(issue.path);
  return [
    {
      path: issue.path.map(String).join('.') || '(root)',
      value,
      message,
      ...(location ? { location } : {}),
    },
  ];
}

/** Rules across fields, checked after the schema so every field has its final value. */
function crossFieldProblems(c: FitTechConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, value: unknown, message: string) =>
    problems.push({ path, value, message });

  // The pod's own rules (ports, probes, Redis's memory, pinned images): one function for the
  // configuration and for the construct that builds the pod.
  problems.push(
    ...podRuleProblems(
      {
        apiPort: c.api.port,
        metricsPort: c.api.metricsPort,
        redisPort: c.redis.port,
        healthPath: c.api.healthPath,
        readyPath: c.api.readyPath,
        redisMaxMemoryMiB: c.redis.maxMemoryMiB,
        redisMemoryLimit: c.redis.resources.limits.memory,
        images: {},
      },
      {
        apiPort: 'api.port',
        metricsPort: 'api.metricsPort',
        redisPort: 'redis.port',
        healthPath: 'api.healthPath',
        readyPath: 'api.readyPath',
        redisMaxMemoryMiB: 'redis.maxMemoryMiB',
        redisMemoryLimit: 'redis.resources.limits.memory',
      },
    ),
  );

  const ng = c.nodeGroup;
  if (ng.minSize > ng.desiredSize)
    add(
      'nodeGroup.minSize',
      ng.minSize,
      `must not exceed nodeGroup.desiredSize (${ng.desiredSize})`,
    );
  if (ng.desiredSize > ng.maxSize)
    add(
      'nodeGroup.desiredSize',
      ng.desiredSize,
      `must not exceed nodeGroup.maxSize (${ng.maxSize})`,
    );
  if (ng.maxUnavailable > ng.desiredSize)
    add(
      'nodeGroup.maxUnavailable',
      ng.maxUnavailable,
      `must not exceed nodeGroup.desiredSize (${ng.desiredSize})`,
    );

  if (c.api.maxReplicas !== undefined && c.api.maxReplicas < c.api.replicas)
    add(
      'api.maxReplicas',
      c.api.maxReplicas,
      `must not be below api.replicas (${c.api.replicas}): the autoscaler's minimum is api.replicas`,
    );

  for (const container of ['api', 'redis'] as const) {
    const r = c[container].resources;
    if (cpuMillis(r.requests.cpu) > cpuMillis(r.limits.cpu)) {
      add(
        `${container}.resources.requests.cpu`,
        r.requests.cpu,
        `must not exceed the limit (${r.limits.cpu})`,
      );
    }
    if (memoryMiB(r.requests.memory) > memoryMiB(r.limits.memory)) {
      add(
        `${container}.resources.requests.memory`,
        r.requests.memory,
        `must not exceed the limit (${r.limits.memory})`,
      );
    }
  }
  // Every derived Kubernetes name must itself be a valid DNS-1123 label.
  const names = resourceNames(c);
  const label = dns1123Label();
  for (const [what, name] of Object.entries(names)) {
    // The ECR repository and the PostgreSQL role are not Kubernetes names.
    if (typeof name !== 'string' || what === 'ecrRepository' || what === 'dbAppRole') continue;
    if (!label.safeParse(name).success) {
      add(
        'kubernetes.releaseName',
        c.kubernetes.releaseName,
        `derives the ${what} name "${name}", which is not a valid DNS-1123 label`,
      );
    }
  }

  problems.push(...endpointProblems(c));
  problems.push(...observabilityProblems(c.observability));
  problems.push(...checkCapacity(c));
  return problems;
}
