import { Construct } from 'constructs';
import type { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import type { AwsContext } from './aws-context';
import { PodIdentityRole } from './pod-identity';

export interface DatabaseAccessProps {
  readonly aws: AwsContext;
  readonly clusterName: string;
  readonly namespace: string;
  readonly instance: DbInstance;
  /** The API's ServiceAccount and the PostgreSQL role it logs in as. */
  readonly api: {
    readonly roleName: string;
    readonly serviceAccount: string;
    readonly dbUser: string;
  };
  /** The migration hook Job's ServiceAccount. */
  readonly migration: { readonly roleName: string; readonly serviceAccount: string };
}

/**
 * Who may reach the database, without a password anywhere:
 *
 * - the API's pods may `rds-db:connect` as the application role only (IAM
 *   database authentication: a token per connection, signed with these
 *   credentials, valid 15 minutes);
 * - the migration Job's pods may find the instance and read its
 *   RDS-managed master secret, to migrate and to keep the application role.
 *
 * Two roles, two ServiceAccounts: the API never holds the master password.
 */
export class DatabaseAccess extends Construct {
  readonly api: PodIdentityRole;
  readonly migration: PodIdentityRole;

  constructor(scope: Construct, id: string, props: DatabaseAccessProps) {
    super(scope, id);
    const { aws, instance } = props;
    this.api = new PodIdentityRole(this, 'api', {
      clusterName: props.clusterName,
      roleName: props.api.roleName,
      description: `The API's pods: IAM database authentication as ${props.api.dbUser}`,
      namespace: props.namespace,
      serviceAccount: props.api.serviceAccount,
      statements: [
        {
          sid: 'ConnectAsApplicationRole',
          effect: 'Allow',
          actions: ['rds-db:connect'],
          resources: [
            `arn:${aws.partition}:rds-db:${aws.region}:${aws.accountId}:dbuser:${instance.resourceId}/${props.api.dbUser}`,
          ],
        },
      ],
    });
    this.migration = new PodIdentityRole(this, 'migration', {
      clusterName: props.clusterName,
      roleName: props.migration.roleName,
      description: 'The migration Job: reads the RDS-managed master secret',
      namespace: props.namespace,
      serviceAccount: props.migration.serviceAccount,
      statements: [
        {
          sid: 'FindTheInstance',
          effect: 'Allow',
          actions: ['rds:DescribeDBInstances'],
          resources: [instance.arn],
        },
        {
          sid: 'ReadTheMasterSecret',
          effect: 'Allow',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [instance.masterUserSecret.get(0).secretArn],
        },
      ],
    });
  }
}
