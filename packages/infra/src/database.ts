import { Construct } from 'constructs';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';

/** PostgreSQL logs RDS exports to CloudWatch (CKV_AWS_129). */
export const POSTGRES_LOG_EXPORTS = ['postgresql', 'upgrade'] as const;

export interface PostgresDatabaseProps {
  /** RDS instance identifier; also names the subnet group, security group and parameter group. */
  readonly identifier: string;
  readonly vpcId: string;
  /** Subnets of the DB subnet group (the private subnets, at least two zones). */
  readonly subnetIds: string[];
  /** Security groups whose members may connect (the EKS cluster security group, which the nodes carry). */
  readonly allowedSecurityGroupIds: string[];
  /**
   * PostgreSQL version. A major version alone ("16") lets RDS apply minor upgrades
   * in the maintenance window; a pinned minor ("16.6") turns them off, since
   * Terraform would otherwise try to downgrade after each one.
   */
  readonly engineVersion: string;
  readonly instanceClass: string;
  /** @default 20 */
  readonly allocatedStorageGiB?: number;
  /** Name of the database created with the instance. */
  readonly databaseName: string;
  /**
   * Master user name. Its password is generated, kept and rotated by RDS in
   * AWS Secrets Manager (`manage_master_user_password`): it never passes
   * through Terraform, its state or CI.
   */
  readonly username: string;
  /** @default 5432 */
  readonly port?: number;
  /** @default false */
  readonly multiAz?: boolean;
  /** Days of automated backups (0 disables them). @default 7 */
  readonly backupRetentionDays?: number;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** Take a final snapshot when the instance is destroyed. @default the value of deletionProtection */
  readonly finalSnapshot?: boolean;
  /** Retention of the exported PostgreSQL logs, days. @default 30 */
  readonly logRetentionInDays?: number;
  /** KMS key ARN that encrypts the log groups. @default the CloudWatch Logs service key */
  readonly logKmsKeyArn?: string;
}

/**
 * RDS for PostgreSQL in private subnets: the master password managed by RDS in
 * Secrets Manager, IAM database authentication on (CKV_AWS_161), encrypted storage (CKV_AWS_16), no
 * public address (CKV_AWS_17), TLS forced by the parameter group
 * (`rds.force_ssl=1`), reachable on its port only from the given security
 * groups, its logs exported to log groups with retention. Deletion
 * protection (CKV_AWS_293), Multi-AZ (CKV_AWS_157) and backups are props,
 * so environments differ only in values.
 */
export class PostgresDatabase extends Construct {
  /** The log groups RDS writes the exported logs to (names fixed by RDS). */
  static logGroupNames(identifier: string): string[] {
    return POSTGRES_LOG_EXPORTS.map((log) => `/aws/rds/instance/${identifier}/${log}`);
  }

  readonly instance: DbInstance;
  readonly securityGroup: SecurityGroup;
  readonly parameterGroup: DbParameterGroup;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    const port = props.port ?? 5432;
    const major = props.engineVersion.split('.')[0]!;
    const deletionProtection = props.deletionProtection ?? true;

    const subnetGroup = new DbSubnetGroup(this, 'subnet_group', {
      name: props.identifier,
      description: `Private subnets of ${props.identifier}`,
      subnetIds: props.subnetIds,
    });

    // Without egress rules: Terraform removes the allow-all egress AWS adds; RDS needs none.
    this.securityGroup = new SecurityGroup(this, 'security_group', {
      name: props.identifier,
      description: `PostgreSQL ${props.identifier}: port ${port} from the EKS nodes only`,
      vpcId: props.vpcId,
      tags: { Name: props.identifier },
    });
    props.allowedSecurityGroupIds.forEach(
      (groupId, i) =>
        new VpcSecurityGroupIngressRule(this, `ingress_${i}`, {
          securityGroupId: this.securityGroup.id,
          description: 'PostgreSQL from the EKS cluster security group (the nodes)',
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          referencedSecurityGroupId: groupId,
        }),
    );

    this.parameterGroup = new DbParameterGroup(this, 'parameter_group', {
      // The family is part of the name: a major upgrade creates the new group first.
      name: `${props.identifier}-postgres${major}`,
      family: `postgres${major}`,
      description: `${props.identifier}: TLS required`,
      parameter: [{ name: 'rds.force_ssl', value: '1' }],
      lifecycle: { createBeforeDestroy: true },
    });

    const logGroups = PostgresDatabase.logGroupNames(props.identifier).map(
      (name, i) =>
        new CloudwatchLogGroup(this, `log_group_${POSTGRES_LOG_EXPORTS[i]}`, {
          name,
          retentionInDays: props.logRetentionInDays ?? 30,
          kmsKeyId: props.logKmsKeyArn,
        }),
    );

    const finalSnapshot = props.finalSnapshot ?? deletionProtection;
    this.instance = new DbInstance(this, 'instance', {
      identifier: props.identifier,
      engine: 'postgres',
      engineVersion: props.engineVersion,
      autoMinorVersionUpgrade: !props.engineVersion.includes('.'),
      instanceClass: props.instanceClass,
      allocatedStorage: props.allocatedStorageGiB ?? 20,
      storageType: 'gp3',
      storageEncrypted: true,
      dbName: props.databaseName,
      username: props.username,
      manageMasterUserPassword: true,
      // The API logs in as its application role with IAM tokens (no password anywhere).
      iamDatabaseAuthenticationEnabled: true,
      port,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      parameterGroupName: this.parameterGroup.name,
      publiclyAccessible: false,
      multiAz: props.multiAz ?? false,
      backupRetentionPeriod: props.backupRetentionDays ?? 7,
      deletionProtection,
      skipFinalSnapshot: !finalSnapshot,
      ...(finalSnapshot ? { finalSnapshotIdentifier: `${props.identifier}-final` } : {}),
      copyTagsToSnapshot: true,
      enabledCloudwatchLogsExports: [...POSTGRES_LOG_EXPORTS],
      dependsOn: logGroups,
    });
  }
}
