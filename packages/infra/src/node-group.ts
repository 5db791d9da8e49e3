import { Construct } from 'constructs';
import { type ITerraformDependable, Token } from 'cdktf';
import { EksNodeGroup } from '@cdktf/provider-aws/lib/eks-node-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { type AwsContext, assumeRoleByService, managedPolicyArn } from './aws-context';
import type { EksCluster } from './cluster';

/**
 * The node role's policies, exactly: join the cluster, run the VPC CNI, pull
 * from ECR. Nothing broader (workloads get their own roles through Pod Identity).
 */
export const NODE_ROLE_POLICIES = [
  'AmazonEKSWorkerNodePolicy',
  'AmazonEKS_CNI_Policy',
  'AmazonEC2ContainerRegistryReadOnly',
] as const;

export interface ManagedNodeGroupProps {
  readonly aws: AwsContext;
  readonly cluster: EksCluster;
  /** Node group name; also names its IAM role and launch template. */
  readonly name: string;
  /** Subnets the nodes run in (the private subnets). */
  readonly subnetIds: string[];
  /** EC2 instance types. */
  readonly instanceTypes: string[];
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
  /** Root volume size (gp3, encrypted), GiB. @default 20 */
  readonly diskSizeGiB?: number;
  /** @default 'ON_DEMAND' */
  readonly capacityType?: 'ON_DEMAND' | 'SPOT';
  /** Nodes replaced at once during an update. @default 1 */
  readonly maxUnavailable?: number;
  /** EKS-optimized AMI family. @default 'AL2023_x86_64_STANDARD' */
  readonly amiType?: string;
  /** What must exist before nodes start: the CNI addon, routes to the internet. @default none */
  readonly dependsOn?: ITerraformDependable[];
}

/**
 * An EKS managed node group of EC2 instances, launched from a template that
 * requires IMDSv2 with a hop limit of 1 (CKV_AWS_79, CKV_AWS_341: pods cannot
 * borrow the node's credentials) and an encrypted gp3 root volume. The
 * template names no AMI, so EKS keeps choosing the optimized one for the
 * cluster version, and no security group, so EKS attaches the cluster
 * security group.
 */
export class ManagedNodeGroup extends Construct {
  readonly nodeGroup: EksNodeGroup;
  readonly role: IamRole;
  readonly launchTemplate: LaunchTemplate;

  constructor(scope: Construct, id: string, props: ManagedNodeGroupProps) {
    super(scope, id);
    const { aws, name } = props;

    this.role = new IamRole(this, 'node_role', {
      name,
      description: `EC2 nodes of the EKS node group ${name}`,
      assumeRolePolicy: assumeRoleByService(this, 'node_assume_role', aws, 'ec2').json,
    });
    const attachments = NODE_ROLE_POLICIES.map(
      (policy) =>
        new IamRolePolicyAttachment(this, `node_role_${policy}`, {
          role: this.role.name,
          policyArn: managedPolicyArn(aws, policy),
        }),
    );

    const tags = { Name: name };
    this.launchTemplate = new LaunchTemplate(this, 'launch_template', {
      name,
      description: `Nodes of ${name}: IMDSv2 only, encrypted gp3 root volume`,
      updateDefaultVersion: true,
      metadataOptions: {
        httpEndpoint: 'enabled',
        httpTokens: 'required',
        httpPutResponseHopLimit: 1,
        instanceMetadataTags: 'disabled',
      },
      blockDeviceMappings: [
        {
          // The root device of the EKS-optimized Amazon Linux 2023 AMIs.
          deviceName: '/dev/xvda',
          ebs: {
            volumeSize: props.diskSizeGiB ?? 20,
            volumeType: 'gp3',
            encrypted: 'true',
            deleteOnTermination: 'true',
          },
        },
      ],
      tagSpecifications: ['instance', 'volume', 'network-interface'].map((resourceType) => ({
        resourceType,
        tags,
      })),
      tags,
    });

    this.nodeGroup = new EksNodeGroup(this, 'node_group', {
      clusterName: props.cluster.cluster.name,
      nodeGroupName: name,
      version: props.cluster.cluster.version,
      nodeRoleArn: this.role.arn,
      subnetIds: props.subnetIds,
      amiType: props.amiType ?? 'AL2023_x86_64_STANDARD',
      capacityType: props.capacityType ?? 'ON_DEMAND',
      instanceTypes: props.instanceTypes,
      scalingConfig: {
        minSize: props.minSize,
        desiredSize: props.desiredSize,
        maxSize: props.maxSize,
      },
      updateConfig: { maxUnavailable: props.maxUnavailable ?? 1 },
      launchTemplate: {
        id: this.launchTemplate.id,
        version: Token.asString(this.launchTemplate.latestVersion),
      },
      tags,
      dependsOn: [...attachments, ...(props.dependsOn ?? [])],
    });
  }
}
