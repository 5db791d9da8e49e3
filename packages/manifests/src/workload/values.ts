import { Type } from '@sinclair/typebox';
import type * as kplus from 'cdk8s-plus-28';
import { defineValues, type ValuesDefinition } from '../values/definition';
import { defaultMaxReplicas, secretValueName } from '@fittech/shared';
import { contractVariables, secretVariables } from './environment';

export { secretValueName };
import type { ApiWithRedisSidecarProps } from './props';
import { serviceAnnotations } from './service';
import { METRICS_DEFAULTS, metricsSchema, type MetricsValues } from './metrics-values';
import {
  environmentSchemas,
  imageSchemas,
  podSchemas,
  resourcesSchema,
  scalingSchemas,
  schedulingSchemas,
  secretsSchema,
  serviceSchema,
} from './values-schema';

/** CPU and memory of one container, as Kubernetes quantities ("100m", "128Mi"). */
export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

/**
 * The deploy-time inputs of an {@link ApiWithRedisSidecar}: the only things a
 * Helm user changes. Everything else (names, ports, paths, the environment
 * contract, the sidecar) is fixed when the chart is built.
 */
export interface ApiWorkloadValues {
  readonly image: { readonly repository: string; readonly tag: string; readonly digest: string };
  readonly imagePullSecrets: kplus.k8s.LocalObjectReference[];
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
  readonly extraEnv: kplus.k8s.EnvVar[];
  readonly podAnnotations: Readonly<Record<string, string>>;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: kplus.k8s.Toleration[];
  readonly affinity: kplus.k8s.Affinity;
  readonly topologySpreadConstraints: kplus.k8s.TopologySpreadConstraint[];
  readonly priorityClassName: string;
  readonly service: { readonly annotations: Readonly<Record<string, string>> };
  /** The ServiceMonitor and PrometheusRule (present when the workload has `metrics`). */
  readonly metrics: MetricsValues;
}

/** The defaults of the deploy-time values. */
export interface ApiWorkloadDefaults {
  /** The default image (pinned: a tag other than "latest", or a digest). */
  readonly image: { readonly repository: string; readonly tag: string; readonly digest?: string };
  /** Default replicas. */
  readonly replicaCount: number;
  /** Default autoscaling. @default disabled, minReplicas = replicaCount, maxReplicas = 2 × replicaCount, 70 % CPU */
  readonly autoscaling?: Partial<ApiWorkloadValues['autoscaling']>;
  /** Default resources of the API container and the Redis sidecar. */
  readonly resources: { readonly api: ContainerResources; readonly redis: ContainerResources };
  /**
   * Default spread of the pods. @default - over zones and nodes, `ScheduleAnyway`, counting the
   * pods of the same release and revision (`matchLabelKeys`, so it holds for any release name)
   */
  readonly topologySpreadConstraints?: readonly kplus.k8s.TopologySpreadConstraint[];
}

/** Spread over zones and nodes for any release: the selector comes from the pod's own labels. */
export const DEFAULT_TOPOLOGY_SPREAD: readonly kplus.k8s.TopologySpreadConstraint[] = [
  'topology.kubernetes.io/zone',
  'kubernetes.io/hostname',
].map((topologyKey) => ({
  maxSkew: 1,
  topologyKey,
  whenUnsatisfiable: 'ScheduleAnyway',
  labelSelector: {},
  matchLabelKeys: [
    'app.kubernetes.io/name',
    'app.kubernetes.io/instance',
    'app.kubernetes.io/component',
    'pod-template-hash',
  ],
}));

/**
 * The values definition of an {@link ApiWithRedisSidecar}, derived from the
 * same props the construct is built with (so they cannot disagree): one
 * secret value per secret variable of its environment, the keys the construct
 * sets itself reserved in the maps a user may extend (pod annotations and
 * labels, Service annotations, extra environment).
 *
 * Secrets: when the secret values are given, the chart creates the Secret
 * `<fullname>-secrets`; `secrets.existingSecret` names another Secret instead
 * (e.g. from External Secrets); with neither, the pods read `<fullname>-secrets`,
 * created out of band. The schema refuses a partial set of secrets and given
 * secrets together with an existingSecret.
 */
export function apiWorkloadValues(
  workload: ApiWithRedisSidecarProps,
  defaults: ApiWorkloadDefaults,
): ValuesDefinition<ApiWorkloadValues> {
  const secrets = secretVariables(workload).map((s) => ({ ...s, name: secretValueName(s.key) }));
  const secretNames = secrets.map((s) => s.name);
  const replicas = defaults.replicaCount;
  const schema = Type.Object(
    {
      ...imageSchemas(),
      ...scalingSchemas(),
      resources: resourcesSchema(),
      secrets: secretsSchema(secrets),
      ...environmentSchemas(contractVariables(workload)),
      ...podSchemas(Object.keys(workload.labels ?? {})),
      ...schedulingSchemas(),
      ...serviceSchema(Object.keys(serviceAnnotations(workload.service))),
      ...(workload.metrics ? metricsSchema(Object.keys(workload.labels ?? {})) : {}),
    },
    { additionalProperties: false },
  );

  const values: ApiWorkloadValues = {
    image: {
      repository: defaults.image.repository,
      tag: defaults.image.tag,
      digest: defaults.image.digest ?? '',
    },
    imagePullSecrets: [],
    replicaCount: replicas,
    autoscaling: {
      enabled: defaults.autoscaling?.enabled ?? false,
      minReplicas: defaults.autoscaling?.minReplicas ?? replicas,
      maxReplicas: defaults.autoscaling?.maxReplicas ?? defaultMaxReplicas(replicas),
      targetCPUUtilizationPercentage: defaults.autoscaling?.targetCPUUtilizationPercentage ?? 70,
    },
    resources: structuredClone(defaults.resources) as ApiWorkloadValues['resources'],
    secrets: { ...Object.fromEntries(secretNames.map((n) => [n, ''])), existingSecret: '' },
    extraEnv: [],
    podAnnotations: {},
    podLabels: {},
    nodeSelector: {},
    tolerations: [],
    affinity: {},
    topologySpreadConstraints: structuredClone([
      ...(defaults.topologySpreadConstraints ?? DEFAULT_TOPOLOGY_SPREAD),
    ]),
    priorityClassName: '',
    service: { annotations: {} },
    ...(workload.metrics ? { metrics: structuredClone(METRICS_DEFAULTS) } : {}),
  } as ApiWorkloadValues;
  return defineValues(schema, values as never) as unknown as ValuesDefinition<ApiWorkloadValues>;
}
