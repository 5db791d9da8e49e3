import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import {
  CPU_QUANTITY,
  MEMORY_QUANTITY,
  ProblemsError,
  autoscalingMaxReplicas,
  checkReplicas,
  deepMerge,
  isPlainObject,
  showValue,
  type FitTechConfig,
  type Problem,
} from '@fittech/shared';

/**
 * Chart values given at deploy time, as Helm takes them: `--values FILE`
 * (YAML, applied in order) and then `--set key=value` (in order), over the
 * chart's defaults. They reach Helm inside the deploy's private values file,
 * next to the image and the secrets, so `helm lint --strict` checks them
 * against values.schema.json before anything is installed.
 */
export interface ReleaseOverrides {
  readonly values: Readonly<Record<string, unknown>>;
  /** Where each given leaf came from, by dotted path: `--set` or `--values scale.yaml`. */
  readonly origins: ReadonlyMap<string, string>;
}

/** A given value as a problem's path: `--set replicaCount`, `replicaCount (--values scale.yaml)`. */
export function givenAt(path: string, origin: string): string {
  return origin === '--set' ? `--set ${path}` : `${path} (${origin})`;
}

export const NO_OVERRIDES: ReleaseOverrides = { values: {}, origins: new Map() };

/** Values the deploy CLI sets itself: giving them here would silently lose to (or fight) its own. */
const RESERVED: Readonly<Record<string, string>> = {
  image: 'the image comes from --registry, --image-tag and --image-digest',
  secrets:
    'secrets come only from the environment ($SECRET_KEY, $DATABASE_URL or the Terraform outputs), never from a command line or a file the CLI did not write',
};

/** Refused at deploy time: what, where, and what to do instead. */
export class ReleaseValuesError extends ProblemsError {
  constructor(problems: readonly Problem[], subject = 'release values given at deploy time') {
    super(problems, subject, 'Nothing was installed; fix the values above and run again.');
    this.name = 'ReleaseValuesError';
  }
}

const KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Helm's typing of a `--set` value: `true`/`false`, `null`, a whole number
 * without a leading zero, else the string itself (use `--values` for a
 * string that looks like one of those).
 */
function typedValue(text: string): unknown {
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (/^-?(0|[1-9]\d{0,15})$/.test(text)) return Number(text);
  return text;
}

/**
 * Parses one `--set` argument (`a.b=1` or `a=1,b=two`, as Helm splits it).
 * Lists, escapes and keys with dots are refused with a pointer to --values.
 */
export function parseSetArgument(argument: string): { path: string[]; value: unknown }[] {
  if (/[[\]\\{}]/.test(argument)) {
    throw new ReleaseValuesError([
      {
        path: `--set ${argument}`,
        message:
          'uses list indexes, braces or escapes, which this CLI does not parse; put the value in a YAML file and pass --values <file>',
      },
    ]);
  }
  return argument.split(',').map((pair) => {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq) : '';
    const path = key.split('.');
    if (eq <= 0 || !path.every((segment) => KEY.test(segment))) {
      throw new ReleaseValuesError([
        {
          path: `--set ${pair}`,
          message:
            'must be key=value with a dotted key of letters, digits, "_" and "-", e.g. --set replicaCount=3 or --set autoscaling.maxReplicas=6',
        },
      ]);
    }
    return { path, value: typedValue(pair.slice(eq + 1)) };
  });
}

function nest(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<
    string,
    unknown
  >;
}

/** Every leaf of a values tree (objects are descended, lists and scalars are leaves). */
function leaves(value: unknown, prefix: string[] = []): string[][] {
  if (!isPlainObject(value) || (Object.keys(value).length === 0 && prefix.length > 0)) {
    return [prefix];
  }
  return Object.entries(value).flatMap(([key, inner]) => leaves(inner, [...prefix, key]));
}

/**
 * Reads `--values` files (relative to `cwd`) and `--set` arguments into one
 * tree, Helm's way (files first, then --set, each in order, later winning),
 * with the origin of every leaf. Refuses `image.*` and `secrets.*`.
 */
export function readReleaseOverrides(
  files: readonly string[],
  sets: readonly string[],
  cwd: string,
): ReleaseOverrides {
  let values: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  const problems: Problem[] = [];
  const add = (tree: Record<string, unknown>, origin: string) => {
    for (const path of leaves(tree)) {
      const dotted = path.join('.');
      const reserved = RESERVED[path[0]!];
      if (reserved) {
        problems.push({
          path: givenAt(dotted, origin),
          message: `cannot be given here: ${reserved}`,
        });
        continue;
      }
      origins.set(dotted, origin);
    }
    values = deepMerge(values, tree);
  };

  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, file), 'utf8');
    } catch (error) {
      throw new ReleaseValuesError([
        { path: `--values ${file}`, message: `cannot be read: ${(error as Error).message}` },
      ]);
    }
    const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      throw new ReleaseValuesError(
        doc.errors.map((e) => ({
          path: `--values ${file}${e.linePos ? `:${e.linePos[0].line}:${e.linePos[0].col}` : ''}`,
          message: e.message.split('\n')[0]!,
        })),
      );
    }
    const tree = doc.toJS() as unknown;
    if (tree === null || tree === undefined) continue;
    if (!isPlainObject(tree)) {
      throw new ReleaseValuesError([
        {
          path: `--values ${file}`,
          message: `must be a YAML mapping of chart values (got ${showValue(tree)})`,
        },
      ]);
    }
    add(tree, `--values ${file}`);
  }
  for (const argument of sets) {
    for (const { path, value } of parseSetArgument(argument)) {
      add(nest(path, value), '--set');
    }
  }
  if (problems.length > 0) throw new ReleaseValuesError(problems);
  return { values, origins };
}

/** The value at a dotted path of a values tree (undefined when absent). */
export const valueAt = (tree: unknown, dotted: string): unknown =>
  dotted.split('.').reduce<unknown>((v, k) => (isPlainObject(v) ? v[k] : undefined), tree);

/**
 * The deploy-time capacity rule, the one `pnpm synth` applies to the config:
 * `replicaCount` and `autoscaling.maxReplicas` (each plus the rolling
 * update's surge and the migration Job's pod) must fit `nodeGroup.maxSize`
 * nodes, the most the Cluster Autoscaler may add, with the containers'
 * requests as given. Values not given keep the chart's defaults, which come
 * from the same config (the dist/ stamp guarantees it). Checks only what
 * this rule reads; `helm lint --strict` checks every value against the schema.
 */
export function releaseCapacityProblems(
  config: FitTechConfig,
  overrides: ReleaseOverrides,
): Problem[] {
  if (overrides.origins.size === 0) return [];
  const { values, origins } = overrides;
  const problems: Problem[] = [];
  const label = (dotted: string) => givenAt(dotted, origins.get(dotted) ?? '');
  const count = (dotted: string): number | undefined => {
    const value = valueAt(values, dotted);
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      problems.push({
        path: label(dotted),
        message: `must be a whole number of at least 1 (got ${showValue(value)})`,
      });
      return undefined;
    }
    return value;
  };
  const quantity = (dotted: string, pattern: RegExp, example: string): string | undefined => {
    const value = valueAt(values, dotted);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || !pattern.test(value)) {
      problems.push({
        path: label(dotted),
        message: `must be a quantity such as "${example}" (got ${showValue(value)})`,
      });
      return undefined;
    }
    return value;
  };
  const requests = (container: 'api' | 'redis') => {
    const own = config[container].resources.requests;
    return {
      cpu: quantity(`resources.${container}.requests.cpu`, CPU_QUANTITY, '250m') ?? own.cpu,
      memory:
        quantity(`resources.${container}.requests.memory`, MEMORY_QUANTITY, '128Mi') ?? own.memory,
    };
  };
  const sized = deepMerge(config, {
    api: { resources: { requests: requests('api') } },
    redis: { resources: { requests: requests('redis') } },
  });
  const replicaCount = count('replicaCount');
  const maxReplicas = count('autoscaling.maxReplicas');
  if (problems.length > 0) return problems;

  const given = (dotted: string, fallback: string) =>
    origins.has(dotted) ? label(dotted) : fallback;
  const checks = [
    {
      path: given('replicaCount', "replicaCount (the chart's default, api.replicas)"),
      replicas: replicaCount ?? config.api.replicas,
    },
    {
      path: given(
        'autoscaling.maxReplicas',
        "autoscaling.maxReplicas (the chart's default, api.maxReplicas)",
      ),
      replicas: maxReplicas ?? autoscalingMaxReplicas(config),
    },
  ];
  return checks.flatMap(({ path, replicas }) =>
    checkReplicas(sized, { path, replicas, nodes: 'maxSize' }),
  );
}
