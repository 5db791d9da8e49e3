import type { Construct, Node } from 'constructs';
import {
  LocalBackend,
  S3Backend,
  TerraformElement,
  TerraformOutput,
  TerraformStack,
  Token,
} from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import {
  API_IMAGE,
  ConfigError,
  apiDatabaseConnections,
  TERRAFORM_OUTPUTS,
  type FitTechConfig,
  resourceNames,
} from '@fittech/shared/core';
import { awsContext } from './aws-context';
import { Alarms } from './alarms';
import { ClusterAutoscalerIdentity } from './autoscaler';
import { ADDONS_AFTER_NODES, EksCluster } from './cluster';
import { DatabaseAccess } from './database-access';
import { PostgresDatabase } from './database';
import { ClusterKey } from './encryption';
import { Network } from './network';
import { ManagedNodeGroup } from './node-group';
import { ImageRepository } from './registry';

/** The outputs the pipeline reads (`terraform output -raw <name>`), by what they hold. */
// The outputs are a contract with the deploy CLI: defined in @fittech/shared.
export { TERRAFORM_OUTPUTS };

/** Terraform that understands the S3 backend's native locking (`use_lockfile`). */
export const MIN_TERRAFORM_VERSION_FOR_S3_LOCKFILE = '1.10.0';

/** Provider source written to `required_providers` (the bindings were generated for this version). */
export const AWS_PROVIDER = { source: 'hashicorp/aws', version: '6.25.0' } as const;

export interface FitTechStackProps {
  /** The resolved configuration (`resolveConfig` from @fittech/shared); every name and size comes from it. */
  readonly config: FitTechConfig;
}

/**
 * Everything the FitTech API needs on AWS, for one environment: the VPC, the
 * EKS cluster and its managed node group, RDS PostgreSQL, the ECR repository,
 * their IAM roles and the KMS key, with the outputs the pipeline reads.
 *
 * Logical IDs are the construct path joined with `_` (`aws_vpc.network_vpc`),
 * not cdktf's hashed IDs, so `terraform state` commands and plans stay readable.
 */
export class FitTechStack extends TerraformStack {
  readonly network: Network;
  readonly eks: EksCluster;
  readonly nodes: ManagedNodeGroup;
  readonly database: PostgresDatabase;
  readonly registry: ImageRepository;
  readonly databaseAccess: DatabaseAccess;
  readonly clusterAutoscaler: ClusterAutoscalerIdentity;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: FitTechStackProps) {
    super(scope, id);
    const { config } = props;
    const names = resourceNames(config);

    this.configureState(config);
    new AwsProvider(this, 'aws', {
      region: config.region,
      // With the account known, a plan run with another account's credentials is refused.
      ...(config.accountId ? { allowedAccountIds: [config.accountId] } : {}),
      defaultTags: [
        {
          tags: {
            Project: config.project,
            Environment: config.environment,
            ManagedBy: 'terraform',
          },
        },
      ],
    });
    // cdktf writes the legacy shorthand source "aws"; plain Terraform readers expect the full address.
    this.addOverride('terraform.required_providers.aws', AWS_PROVIDER);

    const aws = awsContext(this, config.region);
    const flowLogGroupName = `/aws/vpc/${names.cluster}/flow-logs`;
    const key = new ClusterKey(this, 'encryption', {
      aws,
      alias: names.cluster,
      logGroupNames: [
        EksCluster.logGroupName(names.cluster),
        flowLogGroupName,
        ...PostgresDatabase.logGroupNames(names.dbIdentifier),
      ],
    });

    this.network = new Network(this, 'network', {
      aws,
      name: names.cluster,
      clusterName: names.cluster,
      cidrBlock: config.network.vpcCidr,
      availabilityZones: config.network.availabilityZones,
      natGateways: config.network.natGateways,
      flowLogs: {
        logGroupName: flowLogGroupName,
        retentionInDays: config.cluster.logRetentionDays,
        kmsKeyArn: key.key.arn,
      },
    });
    const privateSubnetIds = this.network.privateSubnets.map((s) => s.id);

    const admins = [...config.cluster.adminPrincipalArns];
    if (config.pipeline.deployRoleArn) admins.push(config.pipeline.deployRoleArn);
    this.eks = new EksCluster(this, 'eks', {
      aws,
      name: names.cluster,
      version: config.cluster.version,
      subnetIds: privateSubnetIds,
      kmsKey: key.key,
      logRetentionInDays: config.cluster.logRetentionDays,
      endpointPublicAccess: config.cluster.endpointPublicAccess,
      publicAccessCidrs: config.cluster.publicAccessCidrs,
      adminPrincipalArns: admins,
    });

    this.nodes = new ManagedNodeGroup(this, 'nodes', {
      aws,
      cluster: this.eks,
      name: names.nodeGroup,
      subnetIds: privateSubnetIds,
      instanceTypes: config.nodeGroup.instanceTypes,
      minSize: config.nodeGroup.minSize,
      desiredSize: config.nodeGroup.desiredSize,
      maxSize: config.nodeGroup.maxSize,
      diskSizeGiB: config.nodeGroup.diskSizeGiB,
      capacityType: config.nodeGroup.capacityType,
      maxUnavailable: config.nodeGroup.maxUnavailable,
      // Nodes join only with the CNI in place and a route to the EKS and ECR endpoints.
      dependsOn: [...this.eks.addonsBeforeNodes, ...this.network.privateDefaultRoutes],
    });
    for (const addon of ADDONS_AFTER_NODES) {
      this.eks.addAddon(addon, { dependsOn: [this.nodes.nodeGroup] });
    }

    this.database = new PostgresDatabase(this, 'database', {
      identifier: names.dbIdentifier,
      vpcId: this.network.vpc.id,
      subnetIds: privateSubnetIds,
      allowedSecurityGroupIds: [this.eks.clusterSecurityGroupId],
      engineVersion: config.database.engineVersion,
      instanceClass: config.database.instanceClass,
      allocatedStorageGiB: config.database.allocatedStorageGiB,
      databaseName: config.database.name,
      username: config.database.username,
      port: config.database.port,
      multiAz: config.database.multiAz,
      backupRetentionDays: config.database.backupRetentionDays,
      deletionProtection: config.database.deletionProtection,
      logRetentionInDays: config.cluster.logRetentionDays,
      logKmsKeyArn: key.key.arn,
    });

    // The pods' AWS identities (EKS Pod Identity): the database without passwords, and the node autoscaler.
    this.databaseAccess = new DatabaseAccess(this, 'database_access', {
      aws,
      clusterName: this.eks.cluster.name,
      namespace: names.namespace,
      instance: this.database.instance,
      api: {
        roleName: `${names.cluster}-api`,
        serviceAccount: names.serviceAccount,
        dbUser: names.dbAppRole,
      },
      migration: {
        roleName: `${names.cluster}-migrate`,
        serviceAccount: names.migrationServiceAccount,
      },
    });
    this.clusterAutoscaler = new ClusterAutoscalerIdentity(this, 'cluster_autoscaler', {
      clusterName: this.eks.cluster.name,
      clusterNameLiteral: names.cluster,
      namespace: names.clusterAutoscaler.namespace,
      serviceAccount: names.clusterAutoscaler.serviceAccount,
    });

    this.registry = new ImageRepository(this, 'registry', {
      name: names.ecrRepository,
      keepLastImages: config.ecr.keepLastImages,
      forceDelete: config.ecr.forceDelete,
    });

    const alarms = config.observability.alarms;
    this.alarms = new Alarms(this, 'alarms', {
      aws,
      topicName: names.alarmTopic,
      prefix: names.alarmPrefix,
      subscriptions: [
        ...alarms.emails.map((endpoint) => ({ protocol: 'email' as const, endpoint })),
        ...alarms.subscriptions,
      ],
      database: {
        identifier: names.dbIdentifier,
        allocatedStorageGiB: config.database.allocatedStorageGiB,
        cpuPercent: alarms.databaseCpuPercent,
        freeStorageRatio: alarms.databaseFreeStorageRatio,
        freeableMemoryMiB: alarms.databaseFreeableMemoryMiB,
        maxConnections: alarms.databaseConnections ?? apiDatabaseConnections(config),
      },
      // The tags the Service controller of the configured mode puts on the NLB it creates.
      loadBalancerTags:
        config.service.loadBalancer === 'aws-load-balancer-controller'
          ? {
              'service.k8s.aws/stack': `${names.namespace}/${names.service}`,
              'elbv2.k8s.aws/cluster': names.cluster,
            }
          : {
              'kubernetes.io/service-name': `${names.namespace}/${names.service}`,
              [`kubernetes.io/cluster/${names.cluster}`]: 'owned',
            },
    });

    this.outputs(config);
  }

  private configureState(config: FitTechConfig): void {
    const { bucket } = config.state;
    if (!bucket) {
      // A relative path: cdktf's default would bake this machine's working directory into the JSON.
      new LocalBackend(this, { path: 'terraform.tfstate' });
      return;
    }
    const version = config.pipeline.terraformVersion;
    if (compareVersions(version, MIN_TERRAFORM_VERSION_FOR_S3_LOCKFILE) < 0) {
      throw new ConfigError([
        {
          path: 'pipeline.terraformVersion',
          value: version,
          message: `must be ${MIN_TERRAFORM_VERSION_FOR_S3_LOCKFILE} or later when state.bucket is set: the S3 backend locks the state with a lock file in the bucket (use_lockfile), which older Terraform does not understand. Raise pipeline.terraformVersion, or remove state.bucket to keep the state local`,
        },
      ]);
    }
    const backend = new S3Backend(this, {
      bucket,
      key: config.state.key ?? `${config.project}/${config.environment}/terraform.tfstate`,
      region: config.region,
      encrypt: true,
    });
    // Native S3 locking (Terraform ≥ 1.10) instead of a DynamoDB table; cdktf 0.21 has no prop for it.
    backend.addOverride('use_lockfile', true);
    this.addOverride('terraform.required_version', `>= ${MIN_TERRAFORM_VERSION_FOR_S3_LOCKFILE}`);
  }

  private outputs(config: FitTechConfig): void {
    const cluster = this.eks.cluster;
    const db = this.database.instance;
    const output = (
      name: (typeof TERRAFORM_OUTPUTS)[keyof typeof TERRAFORM_OUTPUTS],
      value: string | number,
      description: string,
      sensitive = false,
    ) => new TerraformOutput(this, name, { value, description, sensitive });

    output(TERRAFORM_OUTPUTS.clusterName, cluster.name, 'Name of the EKS cluster.');
    output(
      TERRAFORM_OUTPUTS.clusterEndpoint,
      cluster.endpoint,
      'URL of the Kubernetes API server.',
    );
    output(TERRAFORM_OUTPUTS.region, config.region, 'AWS region of every resource.');
    output(
      TERRAFORM_OUTPUTS.ecrRepositoryUrl,
      this.registry.repository.repositoryUrl,
      'URL of the ECR repository of the API image (docker push target).',
    );
    output(TERRAFORM_OUTPUTS.dbEndpoint, db.address, 'Host name of the RDS PostgreSQL instance.');
    output(TERRAFORM_OUTPUTS.dbPort, db.port, 'Port of the RDS PostgreSQL instance.');
    output(
      TERRAFORM_OUTPUTS.databaseUrl,
      `postgresql://${resourceNames(config).dbAppRole}` +
        `@${db.address}:${Token.asString(db.port)}/${config.database.name}` +
        `?sslmode=${config.database.sslMode}&sslrootcert=${API_IMAGE.rdsCaBundlePath}`,
      'DATABASE_URL of the API as its application role, without a password (an IAM token per connection), ' +
        'TLS verified against the RDS CA bundle baked into the image.',
    );
    output(
      TERRAFORM_OUTPUTS.dbMasterUserSecretArn,
      db.masterUserSecret.get(0).secretArn,
      'Secrets Manager secret in which RDS keeps and rotates the master password.',
    );
    output(
      TERRAFORM_OUTPUTS.kubeconfigCommand,
      this.eks.kubeconfigCommand,
      'Writes a kubeconfig entry for the cluster.',
    );
  }

  protected override allocateLogicalId(element: TerraformElement | Node): string {
    const node = TerraformElement.isTerraformElement(element) ? element.node : element;
    const scopes = node.scopes;
    return scopes
      .slice(scopes.indexOf(this) + 1)
      .map((scope) => scope.node.id)
      .join('_')
      .replace(/[^A-Za-z0-9_-]/g, '_');
  }
}

/** Compares dotted numeric versions: negative when a < b. */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
