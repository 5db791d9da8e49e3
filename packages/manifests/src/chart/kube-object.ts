import { ApiObject } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type {
  IPrometheusRule,
  IServiceMonitor,
} from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { HelmToken } from './tokens';

type ObjectMeta = kplus.k8s.ObjectMeta;

/** An API kind and the typed body of its objects (what sits next to `metadata`). */
export interface KubeKind<Body> {
  readonly apiVersion: string;
  readonly kind: string;
  /** Type only: the body's shape. */
  readonly body?: Body;
}

const kind = <Body>(apiVersion: string, name: string): KubeKind<Body> => ({
  apiVersion,
  kind: name,
});

/**
 * The kinds the workload constructs write, each typed with the Kubernetes API
 * types of cdk8s-plus-28 (`k8s.DeploymentSpec`, …): a misspelled field is a
 * compile error, and what you read is what is emitted.
 */
export const Kube = {
  Deployment: kind<{ readonly spec: kplus.k8s.DeploymentSpec }>('apps/v1', 'Deployment'),
  Service: kind<{ readonly spec: kplus.k8s.ServiceSpec }>('v1', 'Service'),
  ServiceAccount: kind<{ readonly automountServiceAccountToken?: boolean }>('v1', 'ServiceAccount'),
  ConfigMap: kind<{ readonly data?: Readonly<Record<string, string>> }>('v1', 'ConfigMap'),
  Secret: kind<{ readonly type?: string; readonly stringData?: Readonly<Record<string, string>> }>(
    'v1',
    'Secret',
  ),
  PodDisruptionBudget: kind<{ readonly spec: kplus.k8s.PodDisruptionBudgetSpec }>(
    'policy/v1',
    'PodDisruptionBudget',
  ),
  HorizontalPodAutoscaler: kind<{ readonly spec: kplus.k8s.HorizontalPodAutoscalerSpecV2 }>(
    'autoscaling/v2',
    'HorizontalPodAutoscaler',
  ),
  NetworkPolicy: kind<{ readonly spec: kplus.k8s.NetworkPolicySpec }>(
    'networking.k8s.io/v1',
    'NetworkPolicy',
  ),
  Job: kind<{ readonly spec: kplus.k8s.JobSpec }>('batch/v1', 'Job'),
  Pod: kind<{ readonly spec: kplus.k8s.PodSpec }>('v1', 'Pod'),
  /** The Prometheus Operator's kinds (monitoring.coreos.com/v1), typed by kubernetes-models. */
  ServiceMonitor: kind<{ readonly spec: IServiceMonitor['spec'] }>(
    'monitoring.coreos.com/v1',
    'ServiceMonitor',
  ),
  PrometheusRule: kind<{ readonly spec: IPrometheusRule['spec'] }>(
    'monitoring.coreos.com/v1',
    'PrometheusRule',
  ),
} as const;

const isPlainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * Plain JSON of a value written with the Kubernetes API types: the union
 * wrappers (`IntOrString`, `Quantity`) become their value, value references
 * become their tokens, `undefined` fields disappear and map keys are sorted
 * (as cdk8s sorts them).
 */
export function toKubeJson(v: unknown, where = ''): unknown {
  if (v === undefined || v === null) return undefined;
  if (v instanceof HelmToken) return v.token;
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x, i) => toKubeJson(x, `${where}[${i}]`));
  if (!isPlainObject(v)) {
    const value = (v as { value?: unknown }).value;
    if (typeof value === 'string' || typeof value === 'number' || value instanceof HelmToken) {
      return toKubeJson(value, where); // k8s.IntOrString, k8s.Quantity
    }
    throw new Error(
      `${where || 'a field'}: cannot serialize an object of class ${v.constructor.name}; write plain data`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v).sort()) {
    const value = toKubeJson((v as Record<string, unknown>)[key], where ? `${where}.${key}` : key);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * An API object written with the Kubernetes API types and assembled late:
 * `body` runs at synthesis, so members added after construction (more
 * containers, environment, volumes) are included, as cdk8s-plus does with
 * `Lazy`. Value references in any field stay tokens until the chart renders.
 */
export class KubeObject<Body extends object> extends ApiObject {
  private readonly body: () => Body;

  constructor(
    scope: Construct,
    id: string,
    type: KubeKind<Body>,
    metadata: ObjectMeta,
    body: () => Body,
  ) {
    super(scope, id, {
      apiVersion: type.apiVersion,
      kind: type.kind,
      metadata: toKubeJson(metadata) as ObjectMeta,
    });
    this.body = body;
  }

  override toJson(): Record<string, unknown> {
    const head = super.toJson() as Record<string, unknown>;
    const body = toKubeJson(this.body(), `${this.kind}/${this.node.id}`) as Record<string, unknown>;
    const all: Record<string, unknown> = { ...head, ...body };
    return Object.fromEntries(
      Object.keys(all)
        .sort()
        .map((k) => [k, all[k]]),
    );
  }
}
