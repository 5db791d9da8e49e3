/**
 * The RDS master credentials, for the migration Job only. RDS keeps the master
 * password in AWS Secrets Manager (`manage_master_user_password`) and rotates
 * it; the migration Job's own Pod Identity role may describe the instance and
 * read that one secret. It connects as the master user to migrate and to keep
 * the application role; the API's pods never see these credentials.
 */
import { DescribeDBInstancesCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DatabaseCredentialsError } from './credentials';
import type { DatabaseConnection } from './database';

export interface MasterCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Reads the JSON of an RDS-managed master user secret
 * (`{"username": "…", "password": "…"}`); the message never contains it.
 */
export function parseMasterSecret(secretString: string | undefined, source: string) {
  let value: unknown;
  try {
    value = JSON.parse(secretString ?? '');
  } catch {
    throw new DatabaseCredentialsError(
      `${source} is not the JSON RDS writes ({"username","password"}); the value is not shown`,
    );
  }
  const { username, password } = (value ?? {}) as Record<string, unknown>;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string') {
    throw new DatabaseCredentialsError(
      `${source} has no "username" and "password" strings; the value is not shown`,
    );
  }
  return { username, password } satisfies MasterCredentials;
}

/** The connection as another user (the master user), everything else unchanged. */
export function asUser(
  connection: DatabaseConnection,
  credentials: MasterCredentials,
): DatabaseConnection {
  const { host, port, database } = connection.client;
  return {
    ...connection,
    client: { ...connection.client, user: credentials.username, password: credentials.password },
    description: `${credentials.username}@${host}:${port}/${database} (tls: ${connection.sslMode})`,
  };
}

export interface MasterCredentialsOptions {
  readonly region: string;
  /** The RDS instance identifier (resourceNames(config).dbIdentifier). */
  readonly instanceIdentifier: string;
  /** Bound of each AWS call (connect and response), ms. @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * Asks RDS where the instance's master secret is, then Secrets Manager for
 * it. Each call is bounded (`timeoutMs`, three attempts) so that a missing
 * route to the AWS APIs fails the Job with a message, not at its deadline.
 */
export async function rdsMasterCredentials(
  options: MasterCredentialsOptions,
): Promise<MasterCredentials> {
  const timeout = options.timeoutMs ?? 5_000;
  const common = {
    region: options.region,
    maxAttempts: 3,
    requestHandler: { connectionTimeout: timeout, requestTimeout: timeout },
  };
  const rds = new RDSClient(common);
  const secrets = new SecretsManagerClient(common);
  try {
    const described = await rds.send(
      new DescribeDBInstancesCommand({ DBInstanceIdentifier: options.instanceIdentifier }),
    );
    const secretArn = described.DBInstances?.[0]?.MasterUserSecret?.SecretArn;
    if (!secretArn) {
      throw new DatabaseCredentialsError(
        `RDS instance ${options.instanceIdentifier} has no master user secret: enable ` +
          'manage_master_user_password (the FitTech Terraform does) or run the migrations with a password in DATABASE_URL',
      );
    }
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    return parseMasterSecret(secret.SecretString, `the master user secret ${secretArn}`);
  } finally {
    rds.destroy();
    secrets.destroy();
  }
}
