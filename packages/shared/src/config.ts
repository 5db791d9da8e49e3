import { z } from 'zod';
import { configSchema, dns1123Label, type Environment, type FitTechConfig } from './schema';
import { environmentPresets, type ConfigOverrides } from './environments';
import { resourceNames } from './names';
import { cpuMillis, memoryMiB } from './quantities';
import { checkCapacity } from './capacity';

/** One thing wrong with a configuration: where, what was there, and why it is wrong. */
export interface ConfigProblem {
  /** Dotted path such as `api.port`. */
  readonly path: string;
  /** The offending value (undefined when missing). */
  readonly value: unknown;
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly problems: readonly ConfigProblem[],
    readonly source = 'configuration',
  ) {
    super(
      `Invalid ${source} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${p.path}: ${p.message} (got ${show(p.value)})`).join('\n') +
        '\nFix the values above in your overrides file (or the environment preset); nothing was written.',
    );
    this.name = 'ConfigError';
  }
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep-merges `override` into `base`: objects merge key by key, arrays and scalars replace. */
export function deepMerge<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override)) {
    return (override === undefined ? base : override) as T;
  }
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    out[key] = key in out ? deepMerge(out[key], value) : value;
  }
  return out as T;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

export interface ResolveOptions {
  /** The named environment; its preset is the base (default `dev`). */
  readonly env?: Environment;
  /** Partial configuration deep-merged over the preset. */
  readonly overrides?: ConfigOverrides | Record<string, unknown>;
  /** Named in error messages, e.g. the overrides file's path. */
  readonly source?: string;
}

/**
 * Resolves and validates a configuration: environment preset, then overrides,
 * then schema defaults; then the rules that span several fields (distinct
 * ports, derived names, sizes, capacity). Throws a ConfigError listing every
 * problem with its path, value and reason.
 */
export function resolveConfig(options: ResolveOptions = {}): FitTechConfig {
  const env = options.env ?? 'dev';
  if (!(env in environmentPresets)) {
    throw new ConfigError(
      [{ path: 'environment', value: env, message: 'must be one of "dev", "prod"' }],
      options.source,
    );
  }
  const overrides = options.overrides ?? {};
  if (!isPlainObject(overrides)) {
    throw new ConfigError(
      [{ path: '(root)', value: overrides, message: 'must be an object' }],
      options.source,
    );
  }
  const input = deepMerge(environmentPresets[env], overrides);
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => toProblem(issue, input)),
      options.source,
    );
  }
  const problems = crossFieldProblems(parsed.data);
  if (problems.length > 0) throw new ConfigError(problems, options.source);
  return parsed.data;
}

function toProblem(issue: z.core.$ZodIssue, input: unknown): ConfigProblem {
  if (issue.code === 'unrecognized_keys') {
    const parent = issue.path.map(String).join('.');
    return {
      path: issue.keys.map((k) => (parent ? `${parent}.${k}` : k)).join(', '),
      value: issue.keys.map((k) => valueAt(input, [...issue.path, k]))[0],
      message: 'is not a known setting (check the spelling against the schema)',
    };
  }
  const value = valueAt(input, issue.path);
  const message =
    issue.code === 'invalid_type' && value === undefined ? 'is required' : issue.message;
  return { path: issue.path.map(String).join('.') || '(root)', value, message };
}

/** Rules across fields, checked after the schema so every field has its final value. */
function crossFieldProblems(c: FitTechConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: string, value: unknown, message: string) =>
    problems.push({ path, value, message });

  // Ports inside one pod (network namespace) must be distinct.
  if (c.api.port === c.redis.port) {
    add(
      'redis.port',
      c.redis.port,
      `must differ from api.port (${c.api.port}): both listen in the same pod`,
    );
  }
  if (c.api.healthPath === c.api.readyPath) {
    add(
      'api.readyPath',
      c.api.readyPath,
      'must differ from api.healthPath: liveness and readiness answer different questions',
    );
  }

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
  const redisLimit = memoryMiB(c.redis.resources.limits.memory);
  if (c.redis.maxMemoryMiB >= redisLimit) {
    add(
      'redis.maxMemoryMiB',
      c.redis.maxMemoryMiB,
      `must stay below the sidecar's memory limit (${c.redis.resources.limits.memory}) to leave room for Redis itself, or the kernel kills it instead of evicting keys`,
    );
  }

  // Every derived Kubernetes name must itself be a valid DNS-1123 label.
  const names = resourceNames(c);
  const label = dns1123Label();
  for (const [what, name] of Object.entries(names)) {
    if (typeof name !== 'string' || what === 'ecrRepository') continue;
    if (!label.safeParse(name).success) {
      add(
        'kubernetes.releaseName',
        c.kubernetes.releaseName,
        `derives the ${what} name "${name}", which is not a valid DNS-1123 label`,
      );
    }
  }

  problems.push(...checkCapacity(c));
  return problems;
}
