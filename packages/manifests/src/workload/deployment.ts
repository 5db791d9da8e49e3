import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { ChartValues } from '../chart/chart-values';
import { Helm, HelmChart } from '../chart/helm-chart';
import { Kube, KubeObject } from '../chart/kube-object';
import { POD_SECURITY } from './security';
import type { ApiWorkloadValues } from './values';

/** What the Deployment is made of; containers and annotations are produced at synthesis. */
export interface ApiDeploymentParts {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Labels that select the pods (never changed after the first release). */
  readonly selector: Readonly<Record<string, string>>;
  /** Annotations of the pod template the workload sets (checksums). */
  readonly podAnnotations: () => Record<string, string>;
  readonly rollout: { readonly maxSurge: number; readonly maxUnavailable: number };
  readonly terminationGracePeriodSeconds: number;
  readonly initContainers: () => kplus.k8s.Container[];
  readonly containers: () => kplus.k8s.Container[];
  readonly volumes: kplus.k8s.Volume[];
}

/**
 * The API's Deployment: the pod spec with the restricted security context, no
 * service account token, and every scheduling value (node selector,
 * tolerations, affinity, topology spread, priority class, pull secrets) bound
 * to the chart's values; replicas left to the HPA when autoscaling is on.
 */
export function apiDeployment(scope: Construct, id: string, p: ApiDeploymentParts) {
  const values = HelmChart.of(scope).values as unknown as ChartValues<ApiWorkloadValues>;
  return new KubeObject(scope, id, Kube.Deployment, { name: p.name, labels: p.labels }, () => ({
    spec: {
      // With autoscaling the HPA owns the replica count: a fixed one would fight it on every upgrade.
      replicas: Helm.onlyIf(values.isNotSet('autoscaling.enabled'), values.ref('replicaCount')),
      revisionHistoryLimit: 5,
      selector: { matchLabels: p.selector },
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: {
          maxSurge: kplus.k8s.IntOrString.fromNumber(p.rollout.maxSurge),
          maxUnavailable: kplus.k8s.IntOrString.fromNumber(p.rollout.maxUnavailable),
        },
      },
      template: {
        metadata: {
          labels: { ...p.labels, ...values.entries('podLabels') },
          annotations: { ...p.podAnnotations(), ...values.entries('podAnnotations') },
        },
        spec: {
          serviceAccountName: p.name,
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: POD_SECURITY,
          terminationGracePeriodSeconds: p.terminationGracePeriodSeconds,
          imagePullSecrets: values.optional('imagePullSecrets'),
          priorityClassName: Helm.onlyIf(
            values.isSet('priorityClassName'),
            values.ref('priorityClassName'),
          ),
          nodeSelector: values.optional('nodeSelector'),
          tolerations: values.optional('tolerations'),
          affinity: values.optional('affinity'),
          topologySpreadConstraints: values.optional('topologySpreadConstraints'),
          initContainers: p.initContainers(),
          containers: p.containers(),
          volumes: p.volumes,
        },
      },
    },
  }));
}
