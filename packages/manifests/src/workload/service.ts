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
  tlsPort: DEFAULTS.service.tls.port,
  tlsPolicy: DEFAULTS.service.tls.policy,
} as const;

/** One port of the Service: every one forwards to the pods' plain `http` port. */
export interface ServicePort {
  readonly name: 'https' | 'http';
  readonly port: number;
}

/**
 * The Service's ports: without TLS, `http` on `port` (the NLB forwards TCP);
 * with TLS, `https` on `tls.port` first (the NLB terminates TLS with the
 * certificate and forwards plain HTTP), and `http` on `port` only with
 * `tls.plainHttp` (an NLB works at layer 4 and cannot redirect to HTTPS).
 */
export function servicePorts(o: LoadBalancerOptions = {}): ServicePort[] {
  const http: ServicePort = { name: 'http', port: o.port ?? SERVICE_DEFAULTS.port };
  if (!o.tls) return [http];
  return [
    { name: 'https', port: o.tls.port ?? SERVICE_DEFAULTS.tlsPort },
    ...(o.tls.plainHttp ? [http] : []),
  ];
}

/**
 * The TLS listener's annotations. The in-tree cloud provider and the AWS Load
 * Balancer Controller read the same keys: without `ssl-ports` every port would
 * get TLS, so the TLS port is named; the backend stays TCP (the pods serve
 * plain HTTP; TLS ends at the NLB, whose certificate key never enters the cluster).
 */
function tlsAnnotations(tls: NonNullable<LoadBalancerOptions['tls']>): Record<string, string> {
  return {
    'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': tls.certificateArn,
    'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': String(
      tls.port ?? SERVICE_DEFAULTS.tlsPort,
    ),
    'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy':
      tls.policy ?? SERVICE_DEFAULTS.tlsPolicy,
    'service.beta.kubernetes.io/aws-load-balancer-backend-protocol': 'tcp',
  };
}

/**
 * The annotations the Service's load balancer mode (and its TLS listener)
 * decide. They are fixed when the chart is built; the chart value
 * `service.annotations` adds others and may not change these (its schema
 * reserves them).
 */
export function serviceAnnotations(o: LoadBalancerOptions = {}): Record<string, string> {
  const mode = o.loadBalancer ?? SERVICE_DEFAULTS.loadBalancer;
  const tls = o.tls ? tlsAnnotations(o.tls) : {};
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
      ...tls,
    };
  }
  return { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb', ...tls };
}

/**
 * The LoadBalancer Service (an AWS Network Load Balancer) on `port`, or with
 * TLS on `tls.port` (see {@link servicePorts}), forwarding to the pods' `http` port. The pods see the client's address, not a node's:
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
        ports: servicePorts(o).map((p) => ({
          name: p.name,
          port: p.port,
          targetPort: kplus.k8s.IntOrString.fromString('http'),
          protocol: 'TCP',
        })),
      },
    }),
  );
}
