import { Construct } from 'constructs';
import { PodIdentityRole } from './pod-identity';

/**
 * What the Cluster Autoscaler reads to build its picture of the node groups
 * (the chart's documented minimal policy; AWS offers no resource scoping for
 * Describe calls).
 */
export const CLUSTER_AUTOSCALER_READ_ACTIONS = [
  'autoscaling:DescribeAutoScalingGroups',
  'autoscaling:DescribeAutoScalingInstances',
  'autoscaling:DescribeLaunchConfigurations',
  'autoscaling:DescribeScalingActivities',
  'autoscaling:DescribeTags',
  'ec2:DescribeImages',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeLaunchTemplateVersions',
  'ec2:GetInstanceTypesFromInstanceRequirements',
  'eks:DescribeNodegroup',
] as const;

/** What it changes: only Auto Scaling groups tagged as owned by this cluster. */
export const CLUSTER_AUTOSCALER_WRITE_ACTIONS = [
  'autoscaling:SetDesiredCapacity',
  'autoscaling:TerminateInstanceInAutoScalingGroup',
] as const;

export interface ClusterAutoscalerIdentityProps {
  /** The EKS cluster's name as a Terraform reference. */
  readonly clusterName: string;
  /** The cluster's name as a literal: the Auto Scaling group tag key contains it. */
  readonly clusterNameLiteral: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * The Cluster Autoscaler's AWS identity through EKS Pod Identity. EKS tags the
 * managed node group's Auto Scaling group `k8s.io/cluster-autoscaler/<cluster>
 * = owned` (and `…/enabled`), which the autoscaler discovers it by; its write
 * permissions hold only for groups carrying that tag, so it can resize this
 * cluster's nodes between `nodeGroup.minSize` and `maxSize`, nothing else.
 */
export class ClusterAutoscalerIdentity extends Construct {
  readonly identity: PodIdentityRole;

  constructor(scope: Construct, id: string, props: ClusterAutoscalerIdentityProps) {
    super(scope, id);
    this.identity = new PodIdentityRole(this, 'pod_identity', {
      clusterName: props.clusterName,
      roleName: `${props.clusterNameLiteral}-cluster-autoscaler`,
      description: `Cluster Autoscaler of EKS cluster ${props.clusterNameLiteral} (EKS Pod Identity)`,
      namespace: props.namespace,
      serviceAccount: props.serviceAccount,
      statements: [
        {
          sid: 'Discover',
          effect: 'Allow',
          actions: [...CLUSTER_AUTOSCALER_READ_ACTIONS],
          resources: ['*'],
        },
        {
          sid: 'ResizeOwnNodeGroups',
          effect: 'Allow',
          actions: [...CLUSTER_AUTOSCALER_WRITE_ACTIONS],
          resources: ['*'],
          condition: [
            {
              test: 'StringEquals',
              variable: `aws:ResourceTag/k8s.io/cluster-autoscaler/${props.clusterNameLiteral}`,
              values: ['owned'],
            },
          ],
        },
      ],
    });
  }
}
