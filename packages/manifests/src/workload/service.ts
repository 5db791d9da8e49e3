import { DEFAULTS } from '@fittech/shared';
import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { ChartValues } from '../chart/chart-values';
import { Kube, KubeObject } from '../chart/kube-object';
import type { LoadBalancerOptions } from './props';
import type { ApiWorkloadValues } from './values';

export const SERVICE_DEFAULTS = {
  port: DEFAULTS.service.port,
  loadBalancer: 'in-tree',
  targetType: 'ip',
} as const;

/**
 * The annotations the Service's load balancer mode decides. They are fixed
 * when the chart is built; the chart value `service.annotations` adds others
 * and may not change these (its schema reserves them).
 */
export function serviceAnnotations(o: LoadBalancerOptions = {}): Record<string, string> {
  const mode = o.loadBalancer ?? SERVICE_DEFAULTS.loadBalancer;
  if (mode === 'aws-load-balancer-controller') {
    const targetType = o.targetType ?? SERVICE_DEFAULTS.targetType;
    return {
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': targetType,
      // IP targets see the NLB's address unless the target group preserves the client's.
      ...(targetType === 'ip'
        ? {
            'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes':
              'preserve_client_ip.enabled=true',
          }
        : {}),
    };
  }
  return { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' };
}

/**
 * The LoadBalancer Service (an AWS Network Load Balancer) on `port`, forwarding
 * to the pods' `http` port. The pods see the client's address, not a node's:
 * the API limits login attempts per client address, so the address must be
 * the client's. externalTrafficPolicy Local keeps it (kube-proxy does not
 * SNAT; the NLB sends only to nodes with a ready pod, by the health-check node
 * port); with the AWS Load Balancer Controller and IP targets, the target group
 * preserves it. The cost: a node's last pod leaving takes the NLB's health-check
 * interval to be noticed (the preStop sleep covers part of it; terminating pods
 * keep receiving traffic meanwhile).
 */
export function loadBalancerService(
  scope: Construct,
  id: string,
  parts: {
    readonly options: LoadBalancerOptions;
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly selector: Readonly<Record<string, string>>;
    readonly values: ChartValues<ApiWorkloadValues>;
  },
): KubeObject<{ spec: kplus.k8s.ServiceSpec }> {
  const o = parts.options;
  const controller =
    (o.loadBalancer ?? SERVICE_DEFAULTS.loadBalancer) === 'aws-load-balancer-controller';
  return new KubeObject(
    scope,
    id,
    Kube.Service,
    {
      name: parts.name,
      labels: parts.labels,
      annotations: { ...serviceAnnotations(o), ...parts.values.entries('service.annotations') },
    },
    () => ({
      spec: {
        type: 'LoadBalancer',
        ...(controller ? { loadBalancerClass: 'service.k8s.aws/nlb' } : {}),
        externalTrafficPolicy: 'Local',
        selector: parts.selector,
        ports: [
          {
            name: 'http',
            port: o.port ?? SERVICE_DEFAULTS.port,
            targetPort: kplus.k8s.IntOrString.fromString('http'),
            protocol: 'TCP',
          },
        ],
      },
    }),
  );
}
