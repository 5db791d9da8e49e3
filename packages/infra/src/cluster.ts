import { Construct } from 'constructs';
import { Fn, type ITerraformDependable, TerraformIterator } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsIamSessionContext } from '@cdktf/provider-aws/lib/data-aws-iam-session-context';
import { EksAccessEntry } from '@cdktf/provider-aws/lib/eks-access-entry';
import { EksAccessPolicyAssociation } from '@cdktf/provider-aws/lib/eks-access-policy-association';
import { EksAddon } from '@cdktf/provider-aws/lib/eks-addon';
import { EksCluster as EksClusterResource } from '@cdktf/provider-aws/lib/eks-cluster';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import {
  type AwsContext,
  assumeRoleByService,
  managedPolicyArn,
  policyDocument,
} from './aws-context';

/** Every control-plane log type EKS offers (CKV_AWS_37). */
export const CONTROL_PLANE_LOG_TYPES = [
  'api',
  'audit',
  'authenticator',
  'controllerManager',
  'scheduler',
] as const;

/** Managed addons the node group needs before it can become Ready: the CNI, and Pod Identity for workloads. */
export const ADDONS_BEFORE_NODES = ['vpc-cni', 'eks-pod-identity-agent'] as const;
/**
 * Managed addons that run as pods on the nodes, so they are created after the
 * node group. metrics-server serves the resource metrics the API's
 * HorizontalPodAutoscaler scales on (without it the HPA reports "unable to get
 * metrics" and does nothing).
 */
export const ADDONS_AFTER_NODES = ['coredns', 'kube-proxy', 'metrics-server'] as const;

export interface EksClusterProps {
  readonly aws: AwsContext;
  /** Cluster name. */
  readonly name: string;
  /** Kubernetes version of the control plane, e.g. "1.34". */
  readonly version: string;
  /** Subnets of the control plane's network interfaces (the private subnets). */
  readonly subnetIds: string[];
  /** The key that envelope-encrypts Kubernetes Secrets and encrypts the control-plane log group. */
  readonly kmsKey: KmsKey;
  /** Retention of the control-plane log group, days. @default 30 */
  readonly logRetentionInDays?: number;
  /** Whether the API server endpoint is reachable from the internet (the private endpoint is always on). @default true */
  readonly endpointPublicAccess?: boolean;
  /** CIDR blocks allowed to reach the public endpoint. @default ['0.0.0.0/0'] */
  readonly publicAccessCidrs?: string[];
  /** IAM principals granted cluster-admin through EKS access entries. @default none */
  readonly adminPrincipalArns?: string[];
  /**
   * Grant cluster-admin to the IAM principal that runs `terraform apply`
   * (through an access entry Terraform manages, like terraform-aws-modules/eks's
   * `enable_cluster_creator_admin_permissions`). @default true
   */
  readonly grantCreatorAdmin?: boolean;
}

/**
 * An EKS control plane with the hardening terraform-aws-modules/eks defaults
 * to: API authentication mode with access entries (no aws-auth ConfigMap),
 * Secrets encrypted with a rotating KMS key, all control-plane logs in a log
 * group with retention, a private endpoint, and the bootstrap addons adopted
 * as EKS managed addons (versioned, upgradable through the EKS API). `vpc-cni` and
 * `eks-pod-identity-agent` are created with the cluster (`addonsBeforeNodes`,
 * which the node group must depend on); add the others after the nodes with
 * `addAddon`.
 */
export class EksCluster extends Construct {
  /** The control-plane log group EKS writes to (its name is fixed by EKS). */
  static logGroupName(clusterName: string): string {
    return `/aws/eks/${clusterName}/cluster`;
  }

  readonly cluster: EksClusterResource;
  readonly role: IamRole;
  readonly logGroup: CloudwatchLogGroup;
  /** Addons the nodes need to become Ready: make the node group depend on these. */
  readonly addonsBeforeNodes: readonly EksAddon[];
  readonly adminAccessEntries: EksAccessEntry;
  private readonly aws: AwsContext;

  constructor(scope: Construct, id: string, props: EksClusterProps) {
    super(scope, id);
    const { aws, name } = props;
    this.aws = aws;

    this.role = new IamRole(this, 'cluster_role', {
      name: `${name}-cluster`,
      description: `EKS control plane of ${name}`,
      assumeRolePolicy: assumeRoleByService(this, 'cluster_assume_role', aws, 'eks', {
        actions: ['sts:AssumeRole', 'sts:TagSession'],
      }).json,
    });
    const clusterPolicy = new IamRolePolicyAttachment(this, 'cluster_role_eks_cluster_policy', {
      role: this.role.name,
      policyArn: managedPolicyArn(aws, 'AmazonEKSClusterPolicy'),
    });
    const encryptionPolicy = new IamRolePolicy(this, 'cluster_role_secrets_encryption', {
      name: 'encrypt-kubernetes-secrets',
      role: this.role.id,
      policy: policyDocument(this, 'secrets_encryption_policy', [
        {
          sid: 'UseSecretsKey',
          effect: 'Allow',
          actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ListGrants', 'kms:DescribeKey'],
          resources: [props.kmsKey.arn],
        },
      ]).json,
    });

    // Created before the cluster so EKS does not create it without retention.
    this.logGroup = new CloudwatchLogGroup(this, 'log_group', {
      name: EksCluster.logGroupName(name),
      retentionInDays: props.logRetentionInDays ?? 30,
      kmsKeyId: props.kmsKey.arn,
    });

    const endpointPublicAccess = props.endpointPublicAccess ?? true;
    this.cluster = new EksClusterResource(this, 'cluster', {
      name,
      version: props.version,
      roleArn: this.role.arn,
      vpcConfig: {
        subnetIds: props.subnetIds,
        endpointPrivateAccess: true,
        endpointPublicAccess,
        ...(endpointPublicAccess
          ? { publicAccessCidrs: props.publicAccessCidrs ?? ['0.0.0.0/0'] }
          : {}),
      },
      accessConfig: {
        authenticationMode: 'API',
        // The creator's access is an access entry Terraform manages (below), so it is
        // visible in the plan and does not collide with a listed principal.
        bootstrapClusterCreatorAdminPermissions: false,
      },
      // EKS first installs vpc-cni, kube-proxy and CoreDNS itself, so the nodes' aws-node pods
      // can reach the API server (through kube-proxy) while they join; the managed addons
      // below then adopt them. Without this, nodes never become Ready
      // (terraform-aws-modules/terraform-aws-eks#3160).
      bootstrapSelfManagedAddons: true,
      encryptionConfig: {
        resources: ['secrets'],
        provider: { keyArn: props.kmsKey.arn },
      },
      enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
      dependsOn: [clusterPolicy, encryptionPolicy, this.logGroup],
    });

    const listed = [...new Set(props.adminPrincipalArns ?? [])];
    const principals: string[] =
      (props.grantCreatorAdmin ?? true)
        ? Fn.concat([
            [
              new DataAwsIamSessionContext(this, 'creator', { arn: aws.callerIdentity.arn })
                .issuerArn,
            ],
            listed,
          ])
        : listed;
    // A set keyed by ARN: the creator listed in adminPrincipalArns too gets one entry, not a conflict.
    const admins = TerraformIterator.fromList(principals);
    this.adminAccessEntries = new EksAccessEntry(this, 'admin_access_entry', {
      forEach: admins,
      clusterName: this.cluster.name,
      principalArn: admins.value,
      type: 'STANDARD',
    });
    const entries = TerraformIterator.fromResources(this.adminAccessEntries);
    new EksAccessPolicyAssociation(this, 'admin_access_policy', {
      forEach: entries,
      clusterName: this.cluster.name,
      principalArn: entries.getString('principal_arn'),
      policyArn: `arn:${aws.partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
      accessScope: { type: 'cluster' },
    });

    this.addonsBeforeNodes = ADDONS_BEFORE_NODES.map((addon) => this.addAddon(addon));
  }

  /**
   * Installs an EKS managed addon at the default version for the cluster's
   * Kubernetes version; conflicting fields are taken over by EKS.
   */
  addAddon(addonName: string, options: { dependsOn?: ITerraformDependable[] } = {}): EksAddon {
    return new EksAddon(this, `addon_${addonName.replace(/-/g, '_')}`, {
      clusterName: this.cluster.name,
      addonName,
      resolveConflictsOnCreate: 'OVERWRITE',
      resolveConflictsOnUpdate: 'OVERWRITE',
      ...(options.dependsOn ? { dependsOn: options.dependsOn } : {}),
    });
  }

  /** The security group EKS creates for the control plane and attaches to managed nodes. */
  get clusterSecurityGroupId(): string {
    return this.cluster.vpcConfig.clusterSecurityGroupId;
  }

  /** The `aws eks update-kubeconfig` command for this cluster. */
  get kubeconfigCommand(): string {
    return `aws eks update-kubeconfig --region ${this.aws.region} --name ${this.cluster.name}`;
  }
}
