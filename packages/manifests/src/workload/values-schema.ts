import { Type, type TSchema } from '@sinclair/typebox';
import { DEFAULTS } from '@fittech/shared';
import type * as kplus from 'cdk8s-plus-28';

/**
 * The JSON Schema of an ApiWithRedisSidecar's values, section by section (one
 * function each). Every object is closed; every value has its description (its
 * values.yaml `@param` line); the keys the chart sets itself are refused in the
 * maps a user may extend, with patternProperties so that Helm 3 and Helm 4 both
 * name the key's path.
 */

const NO_CONTROL_CHARACTERS = '^[^\\x00-\\x1f\\x7f]+$';
/** The platform's cap on replicas (and on the autoscaler's maximum). */
export const MAX_REPLICAS = DEFAULTS.api.maxReplicas;
/** Label prefixes the chart owns on every pod. */
export const CHART_LABEL_PREFIXES = ['app.kubernetes.io/', 'helm.sh/'];
/** Pod annotation prefixes the chart owns. */
export const CHART_ANNOTATION_PREFIXES = ['checksum/'];

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const cpu = (description: string) =>
  Type.String({ pattern: '^([0-9]+m|[0-9]+(\\.[0-9]{1,3})?)$', description });
const memory = (description: string) => Type.String({ pattern: '^[0-9]+(Ki|Mi|Gi)$', description });
const closed = { additionalProperties: false } as const;
const dnsSubdomain = '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$';

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

/** A Kubernetes label value (at most 63 characters). */
export const LABEL_VALUE = {
  type: 'string',
  maxLength: 63,
  pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
};
/** An annotation value (no NUL; Kubernetes limits all annotations of an object to 256 KiB). */
const ANNOTATION_VALUE = { type: 'string', maxLength: 65536, pattern: '^[^\\x00]*$' };

/** A map of strings whose keys may not be one of `reserved` (exact) or start with `prefixes`. */
export function stringMap(
  description: string,
  reserved: { keys?: readonly string[]; prefixes?: readonly string[]; why: string },
  extra: Record<string, unknown> = {},
  value: Record<string, unknown> = ANNOTATION_VALUE,
): TSchema {
  const alternatives = [
    ...(reserved.prefixes ?? []).map((p) => `^${escapeRegExp(p)}`),
    ...((reserved.keys ?? []).length > 0
      ? [`^(${reserved.keys!.map(escapeRegExp).join('|')})$`]
      : []),
  ];
  return Type.Unsafe<Record<string, string>>({
    type: 'object',
    description,
    additionalProperties: value,
    // patternProperties (not propertyNames): both Helm 3 and Helm 4 then name the key's path.
    ...(alternatives.length > 0
      ? { patternProperties: { [alternatives.join('|')]: { not: {}, description: reserved.why } } }
      : {}),
    ...extra,
  });
}

/** image, imagePullSecrets */
export function imageSchemas(): Record<string, TSchema> {
  return {
    image: Type.Object(
      {
        repository: Type.String({
          description: 'Image repository of the API (and of the migration Job).',
          pattern: '^[a-z0-9]([a-z0-9._-]*[a-z0-9])?(:[0-9]+)?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)*$',
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
    imagePullSecrets: Type.Unsafe<kplus.k8s.LocalObjectReference[]>({
      type: 'array',
      description:
        'Secrets (type kubernetes.io/dockerconfigjson) the kubelet pulls the images with, e.g. [{name: regcred}].',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: { name: { type: 'string', pattern: dnsSubdomain, maxLength: 253 } },
      },
    }),
  };
}

/** replicaCount, autoscaling */
export function scalingSchemas(): Record<string, TSchema> {
  return {
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
      { ...closed, description: 'Horizontal pod autoscaling' },
    ),
  };
}

/** resources of the api container and the Redis sidecar */
export function resourcesSchema(): TSchema {
  return Type.Object(
    { api: resources('api'), redis: resources('redis') },
    { ...closed, title: 'Resources', description: 'Requests and limits of every container' },
  );
}

/**
 * secrets: one value per secret variable, and existingSecret. Given secrets must be given
 * together and refuse an existingSecret (the chart then creates the Secret itself).
 */
export function secretsSchema(
  secrets: readonly {
    readonly name: string;
    readonly variable: string;
    readonly description?: string;
    readonly pattern?: string;
  }[],
): TSchema {
  const secretNames = secrets.map((s) => s.name);
  const secretProperties: Record<string, TSchema> = {};
  for (const s of secrets) {
    secretProperties[s.name] = Type.String({
      description: `${s.description ?? `${s.variable}.`} Leave empty to use secrets.existingSecret.`,
      pattern: `^$|${s.pattern ?? NO_CONTROL_CHARACTERS}`,
    });
  }
  secretProperties.existingSecret = Type.String({
    description:
      'Name of an existing Secret the pods read instead (keys: the secret keys of the environment). ' +
      'Empty: the Secret "<fullname>-secrets", which the chart creates when the secret values are given.',
    pattern: `^$|${dnsSubdomain}`,
    maxLength: 253,
  });
  const [first, ...others] = secretNames;
  const secretRules: Record<string, unknown>[] = [];
  if (first !== undefined) {
    const list = secretNames.map((n) => `secrets.${n}`).join(' and ');
    secretRules.push({
      if: { properties: { [first]: { minLength: 1 } } },
      then: {
        description: `when secrets.${first} is given the chart creates the Secret: give ${list}, and leave secrets.existingSecret empty`,
        properties: {
          ...Object.fromEntries(others.map((n) => [n, { minLength: 1 }])),
          existingSecret: { maxLength: 0 },
        },
      },
    });
    for (const other of others) {
      secretRules.push({
        if: { properties: { [other]: { minLength: 1 } } },
        then: { description: `give ${list} together`, properties: { [first]: { minLength: 1 } } },
      });
    }
  }
  return Type.Object(secretProperties, {
    ...closed,
    title: 'Secrets',
    description: 'Secrets of the API: given here, or in an existing Secret',
    ...(secretRules.length > 0 ? { allOf: secretRules } : {}),
  });
}

/** extraEnv, refusing the variables the chart's environment contract owns */
export function environmentSchemas(reservedEnv: readonly string[]): Record<string, TSchema> {
  return {
    extraEnv: Type.Unsafe<kplus.k8s.EnvVar[]>({
      type: 'array',
      title: 'Environment',
      description: `Extra environment variables of the API container ({name, value} or {name, valueFrom}); the chart's own (${reservedEnv.join(', ') || 'none'}) cannot be redefined.`,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: {
            type: 'string',
            pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$',
            ...(reservedEnv.length > 0
              ? {
                  not: {
                    enum: [...reservedEnv],
                    description: 'set by the chart from its environment contract',
                  },
                }
              : {}),
          },
          value: { type: 'string' },
          valueFrom: { type: 'object' },
        },
      },
    }),
  };
}

/** podAnnotations, podLabels (refusing the chart's own and the workload's labels) */
export function podSchemas(workloadLabels: readonly string[]): Record<string, TSchema> {
  return {
    podAnnotations: stringMap(
      'Extra annotations on the API pods.',
      { prefixes: CHART_ANNOTATION_PREFIXES, why: 'set by the chart' },
      { title: 'Pods' },
    ),
    podLabels: stringMap(
      'Extra labels on the API pods (never used to select them).',
      {
        prefixes: CHART_LABEL_PREFIXES,
        keys: workloadLabels,
        why: 'set by the chart (the recommended labels select the pods)',
      },
      {},
      LABEL_VALUE,
    ),
  };
}

/** nodeSelector, tolerations, affinity, topologySpreadConstraints, priorityClassName */
export function schedulingSchemas(): Record<string, TSchema> {
  return {
    nodeSelector: stringMap(
      'Node labels the API pods must run on.',
      { why: '' },
      { title: 'Scheduling' },
      LABEL_VALUE,
    ),
    tolerations: Type.Unsafe<kplus.k8s.Toleration[]>({
      type: 'array',
      description: 'Taints the API pods tolerate.',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          key: { type: 'string' },
          operator: { enum: ['Exists', 'Equal'] },
          value: { type: 'string' },
          effect: { enum: ['NoSchedule', 'PreferNoSchedule', 'NoExecute'] },
          tolerationSeconds: { type: 'integer' },
        },
      },
    }),
    affinity: Type.Unsafe<kplus.k8s.Affinity>({
      type: 'object',
      description: 'Node and pod affinity of the API pods (the Kubernetes Affinity object).',
      additionalProperties: false,
      // patternProperties, not properties: the value is one documented leaf, not a section.
      patternProperties: { '^(nodeAffinity|podAffinity|podAntiAffinity)$': { type: 'object' } },
    }),
    topologySpreadConstraints: Type.Unsafe<kplus.k8s.TopologySpreadConstraint[]>({
      type: 'array',
      description:
        'How the API pods spread over zones and nodes. The default counts the pods of the same release and revision through matchLabelKeys.',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['maxSkew', 'topologyKey', 'whenUnsatisfiable'],
        properties: {
          maxSkew: { type: 'integer', minimum: 1 },
          topologyKey: { type: 'string', minLength: 1 },
          whenUnsatisfiable: { enum: ['DoNotSchedule', 'ScheduleAnyway'] },
          labelSelector: { type: 'object' },
          matchLabelKeys: { type: 'array', items: { type: 'string' } },
          minDomains: { type: 'integer', minimum: 1 },
          nodeAffinityPolicy: { enum: ['Honor', 'Ignore'] },
          nodeTaintsPolicy: { enum: ['Honor', 'Ignore'] },
        },
      },
    }),
    priorityClassName: Type.String({
      description: 'PriorityClass of the API pods (empty: the cluster default).',
      pattern: `^$|${dnsSubdomain}`,
      maxLength: 253,
    }),
  };
}

/** service.annotations, refusing the ones the load balancer mode decides */
export function serviceSchema(reservedAnnotations: readonly string[]): Record<string, TSchema> {
  return {
    service: Type.Object(
      {
        annotations: stringMap(
          'Extra annotations on the LoadBalancer Service (e.g. NLB attributes); the ones the chart sets cannot be changed.',
          {
            keys: reservedAnnotations,
            why: 'set by the chart from its configuration',
          },
        ),
      },
      { ...closed, title: 'Service', description: 'The LoadBalancer Service' },
    ),
  };
}
