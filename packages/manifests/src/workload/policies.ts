import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { ChartValues } from '../chart/chart-values';
import { HelmChart } from '../chart/helm-chart';
import { Kube, KubeObject } from '../chart/kube-object';
import type { NetworkPolicyPeer } from './props';
import type { ApiWorkloadValues } from './values';

interface PolicyParts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly selector: Readonly<Record<string, string>>;
}

/** At most one API pod down at a time through voluntary disruptions; unhealthy pods never block a drain. */
export function podDisruptionBudget(scope: Construct, id: string, p: PolicyParts) {
  return new KubeObject(
    scope,
    id,
    Kube.PodDisruptionBudget,
    { name: p.name, labels: p.labels },
    () => ({
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: p.selector },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    }),
  );
}

/**
 * Ingress to the API pods: the `http` port from anywhere (the NLB forwards
 * clients from anywhere), the `metrics` port from the scrapers only (the
 * kubelet's probes come from the node, which a NetworkPolicy always admits);
 * Redis is never reachable.
 */
export function networkPolicy(
  scope: Construct,
  id: string,
  p: PolicyParts & { readonly metricsScrapers: readonly NetworkPolicyPeer[] },
) {
  const tcp = (name: string) => [{ protocol: 'TCP', port: kplus.k8s.IntOrString.fromString(name) }];
  return new KubeObject(scope, id, Kube.NetworkPolicy, { name: p.name, labels: p.labels }, () => ({
    spec: {
      podSelector: { matchLabels: p.selector },
      policyTypes: ['Ingress'],
      ingress: [
        { ports: tcp('http') },
        ...(p.metricsScrapers.length > 0
          ? [{ from: p.metricsScrapers.map(plainPeer), ports: tcp('metrics') }]
          : []),
      ],
    },
  }));
}

/** A copy of a peer as plain data (the caller's objects stay theirs). */
function plainPeer(peer: NetworkPolicyPeer): NetworkPolicyPeer {
  const selector = (s?: { readonly matchLabels: Readonly<Record<string, string>> }) =>
    s && { matchLabels: { ...s.matchLabels } };
  return {
    ...(peer.namespaceSelector ? { namespaceSelector: selector(peer.namespaceSelector) } : {}),
    ...(peer.podSelector ? { podSelector: selector(peer.podSelector) } : {}),
  };
}

/**
 * A HorizontalPodAutoscaler on the `api` container's CPU (ContainerResource: the
 * sidecar's requests would dilute the utilization), present only when
 * `autoscaling.enabled`.
 */
export function horizontalPodAutoscaler(
  scope: Construct,
  id: string,
  p: {
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly deployment: string;
  },
) {
  const chart = HelmChart.of(scope);
  const values = chart.values as unknown as ChartValues<ApiWorkloadValues>;
  const hpa = new KubeObject(
    scope,
    id,
    Kube.HorizontalPodAutoscaler,
    { name: p.name, labels: p.labels },
    () => ({
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: p.deployment },
        minReplicas: values.ref('autoscaling.minReplicas'),
        maxReplicas: values.ref('autoscaling.maxReplicas'),
        metrics: [
          {
            type: 'ContainerResource',
            containerResource: {
              name: 'cpu',
              container: 'api',
              target: {
                type: 'Utilization',
                averageUtilization: values.ref('autoscaling.targetCPUUtilizationPercentage'),
              },
            },
          },
        ],
      },
    }),
  );
  chart.includeObjectWhen(hpa, values.isSet('autoscaling.enabled'));
  return hpa;
}
