import { Type, type TSchema } from '@sinclair/typebox';
import { defineValues, type ValuesDefinition } from '../helm/values';

/** CPU and memory of one container, as Kubernetes quantities ("100m", "128Mi"). */
export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/**
 * The deploy-time inputs of an {@link ApiWithRedisSidecar}: the only things a
 * Helm user changes. Everything else (names, ports, paths, the environment
 * contract) is fixed when the chart is built.
 */
export interface ApiWorkloadValues {
  readonly image: { readonly repository: string; readonly tag: string; readonly digest: string };
  readonly replicaCount: number;
  readonly autoscaling: {
    readonly enabled: boolean;
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly targetCPUUtilizationPercentage: number;
  };
  readonly resources: { readonly api: ContainerResources; readonly redis: ContainerResources };
  /** One string per secret variable (by value name, see {@link secretValueName}) plus `existingSecret`. */
  readonly secrets: Readonly<Record<string, string>> & { readonly existingSecret: string };
  readonly podAnnotations: Readonly<Record<string, string>>;
}

/** A secret the API reads, as a chart value. */
export interface SecretValueOptions {
  /** What it is (becomes its `## @param` line). */
  readonly description: string;
  /**
   * A regular expression a given value must match (RE2- and ECMAScript-compatible, no lookarounds).
   * @default - any string without control characters
   */
  readonly pattern?: string;
}

export interface ApiWorkloadValuesOptions {
  /** The default image. */
  readonly image: { readonly repository: string; readonly tag: string; readonly digest?: string };
  /** Default replicas. */
  readonly replicaCount: number;
  /** Default autoscaling. @default disabled, minReplicas = replicaCount, maxReplicas = 2 × replicaCount, 70 % CPU */
  readonly autoscaling?: Partial<ApiWorkloadValues['autoscaling']>;
  /** Default resources of the API container and the Redis sidecar. */
  readonly resources: { readonly api: ContainerResources; readonly redis: ContainerResources };
  /**
   * The secrets, keyed by value name: {@link secretValueName} of each key in the Secret
   * (`database-url` → `databaseUrl`). @default - none
   */
  readonly secrets?: Readonly<Record<string, SecretValueOptions>>;
  /** Name of the Secret the chart creates from those values; also the default `secrets.existingSecret`. */
  readonly secretName: string;
  /** Pod annotation prefixes the construct reserves for itself. @default ['checksum/'] */
  readonly reservedAnnotationPrefixes?: readonly string[];
}

/** The value name of a key in the Secret: `database-url` → `databaseUrl`. */
export function secretValueName(secretKey: string): string {
  return secretKey.replace(/[-_.]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

const NO_CONTROL_CHARACTERS = '^[^\\x00-\\x1f\\x7f]+$';
const MAX_REPLICAS = 100;

const cpu = (description: string) =>
  Type.String({ pattern: '^([0-9]+m|[0-9]+(\\.[0-9]{1,3})?)$', description });
const memory = (description: string) => Type.String({ pattern: '^[0-9]+(Ki|Mi|Gi)$', description });
const closed = { additionalProperties: false } as const;

function resources(container: string): TSchema {
  const list = (kind: 'requests' | 'limits') =>
    Type.Object(
      {
        cpu: cpu(`CPU ${kind === 'requests' ? 'request' : 'limit'} of the ${container} container`),
        memory: memory(
          `Memory ${kind === 'requests' ? 'request' : 'limit'} of the ${container} container`,
        ),
      },
      { ...closed, description: `${kind} of the ${container} container` },
    );
  return Type.Object(
    { requests: list('requests'), limits: list('limits') },
    { ...closed, description: `Resources of the ${container} container` },
  );
}

/**
 * The values definition of an {@link ApiWithRedisSidecar} chart: schema,
 * defaults and documentation of image, replicaCount, autoscaling, resources,
 * secrets and podAnnotations.
 *
 * Secrets: when every secret value is given the chart creates the Secret
 * `secretName`; otherwise the pods read the existing Secret named by
 * `secrets.existingSecret` (default: `secretName`, so a Secret created out of
 * band under the chart's own name works with no value at all). The schema
 * rejects a partial set of secrets, no secrets and no existingSecret, and
 * given secrets together with a different existingSecret.
 */
export function apiWorkloadValues(
  options: ApiWorkloadValuesOptions,
): ValuesDefinition<ApiWorkloadValues> {
  const secretOptions = options.secrets ?? {};
  const secretNames = Object.keys(secretOptions);
  for (const name of [...secretNames, options.secretName]) {
    if (name === 'existingSecret')
      throw new Error('"existingSecret" is reserved; name the secret value differently');
  }
  const reserved = options.reservedAnnotationPrefixes ?? ['checksum/'];
  const replicas = options.replicaCount;

  const secretProperties: Record<string, TSchema> = {};
  for (const [name, o] of Object.entries(secretOptions)) {
    secretProperties[name] = Type.String({
      description: `${o.description} Leave empty to use secrets.existingSecret.`,
      pattern: `^$|${o.pattern ?? NO_CONTROL_CHARACTERS}`,
    });
  }
  secretProperties.existingSecret = Type.String({
    description:
      `Name of the Secret the pods read (keys: the secret keys of the environment). ` +
      `The chart creates "${options.secretName}" itself when the secret values are given; ` +
      'otherwise the Secret must exist in the release namespace (e.g. from External Secrets).',
    pattern: '^$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
    maxLength: 253,
  });
  const [first, ...others] = secretNames;
  const secretRules: Record<string, unknown>[] = [];
  if (first !== undefined) {
    const list = secretNames.map((n) => `secrets.${n}`).join(' and ');
    secretRules.push({
      if: { properties: { [first]: { minLength: 1 } } },
      then: {
        description: `when secrets.${first} is given the chart creates the Secret "${options.secretName}": give ${list}, and leave secrets.existingSecret at "${options.secretName}"`,
        properties: {
          ...Object.fromEntries(others.map((n) => [n, { minLength: 1 }])),
          existingSecret: { const: options.secretName },
        },
      },
    });
    for (const other of others) {
      secretRules.push({
        if: { properties: { [other]: { minLength: 1 } } },
        then: { description: `give ${list} together`, properties: { [first]: { minLength: 1 } } },
      });
    }
    secretRules.push({
      if: { properties: { [first]: { maxLength: 0 } } },
      then: {
        description: `give ${list}, or the name of an existing Secret in secrets.existingSecret`,
        properties: { existingSecret: { minLength: 1 } },
      },
    });
  }

  const schema = Type.Object(
    {
      image: Type.Object(
        {
          repository: Type.String({
            description: 'Image repository of the API (and of the migration Job).',
            pattern:
              '^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$',
          }),
          tag: Type.String({
            description: 'Image tag; used when image.digest is empty. Never "latest".',
            pattern: '^$|^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
            not: {
              const: 'latest',
              description: '"latest" is not a pinned version: use a version tag or image.digest',
            },
          }),
          digest: Type.String({
            description:
              'Image digest ("sha256:…"); when set it pins the image and the tag is ignored.',
            pattern: '^$|^sha256:[a-f0-9]{64}$',
          }),
        },
        {
          ...closed,
          title: 'Image',
          description: 'The API image',
          allOf: [
            {
              if: { properties: { digest: { maxLength: 0 } } },
              then: {
                description: 'set image.tag, or image.digest to pin the image by digest',
                properties: { tag: { minLength: 1 } },
              },
            },
          ],
        },
      ),
      replicaCount: Type.Integer({
        title: 'Scaling',
        description: 'Replicas of the API Deployment when autoscaling is disabled.',
        minimum: 1,
        maximum: MAX_REPLICAS,
      }),
      autoscaling: Type.Object(
        {
          enabled: Type.Boolean({
            description:
              'Create a HorizontalPodAutoscaler (the Deployment then leaves replicas to it).',
          }),
          minReplicas: Type.Integer({
            description: 'Lowest replica count of the autoscaler.',
            minimum: 1,
            maximum: MAX_REPLICAS,
          }),
          maxReplicas: Type.Integer({
            description:
              'Highest replica count of the autoscaler (keep it within what the nodes hold).',
            minimum: 1,
            maximum: MAX_REPLICAS,
          }),
          targetCPUUtilizationPercentage: Type.Integer({
            description: 'Target CPU utilization of the api container, percent of its request.',
            minimum: 1,
            maximum: 100,
          }),
        },
        { ...closed, title: 'Scaling', description: 'Horizontal pod autoscaling' },
      ),
      resources: Type.Object(
        { api: resources('api'), redis: resources('redis') },
        { ...closed, title: 'Resources', description: 'Requests and limits of every container' },
      ),
      secrets: Type.Object(secretProperties, {
        ...closed,
        title: 'Secrets',
        description: 'Secrets of the API: given here, or in an existing Secret',
        ...(secretRules.length > 0 ? { allOf: secretRules } : {}),
      }),
      podAnnotations: Type.Unsafe<Record<string, string>>({
        type: 'object',
        title: 'Pods',
        description: 'Extra annotations on the API pods.',
        additionalProperties: { type: 'string' },
        propertyNames: {
          description: `keys starting with ${reserved.map((p) => `"${p}"`).join(', ')} are set by the chart`,
          not: { pattern: `^(${reserved.map(escapeRegExp).join('|')})` },
        },
      }),
    },
    closed,
  );

  const defaults: ApiWorkloadValues = {
    image: {
      repository: options.image.repository,
      tag: options.image.tag,
      digest: options.image.digest ?? '',
    },
    replicaCount: replicas,
    autoscaling: {
      enabled: options.autoscaling?.enabled ?? false,
      minReplicas: options.autoscaling?.minReplicas ?? replicas,
      maxReplicas: options.autoscaling?.maxReplicas ?? Math.min(MAX_REPLICAS, 2 * replicas),
      targetCPUUtilizationPercentage: options.autoscaling?.targetCPUUtilizationPercentage ?? 70,
    },
    resources: structuredClone(options.resources) as ApiWorkloadValues['resources'],
    secrets: {
      ...Object.fromEntries(secretNames.map((n) => [n, ''])),
      existingSecret: options.secretName,
    },
    podAnnotations: {},
  };
  return defineValues(schema, defaults as never) as unknown as ValuesDefinition<ApiWorkloadValues>;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
