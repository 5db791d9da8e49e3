/**
 * How the API proves who it is to PostgreSQL.
 *
 * - `password`: the password is part of DATABASE_URL (local development, the
 *   chart's inline `secrets.databaseUrl`).
 * - `iam`: RDS IAM database authentication. DATABASE_URL names the
 *   application role and carries no password; every new connection signs a
 *   fresh 15-minute token with the pod's AWS credentials (EKS Pod Identity),
 *   so no password exists anywhere: not in Terraform state, CI, the chart or
 *   the pod. node-postgres calls `password` when the server asks for one, so
 *   a pool (and the LISTEN connection) re-signs on each reconnect.
 */
import { Signer, type SignerConfig } from '@aws-sdk/rds-signer';
import type { DatabaseConnection } from './database';

export const DATABASE_AUTH_MODES = ['password', 'iam'] as const;
export type DatabaseAuth = (typeof DATABASE_AUTH_MODES)[number];

/** Credentials of a connection that cannot work; the message says what to do. */
export class DatabaseCredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseCredentialsError';
  }
}

export interface IamAuthOptions {
  /** The region of the RDS instance (the token is signed for it). */
  readonly region: string;
  /**
   * AWS credentials, or a provider of them. Default: the SDK's provider chain,
   * which in an EKS pod reads the credentials EKS Pod Identity serves
   * (`AWS_CONTAINER_CREDENTIALS_FULL_URI`); it caches and refreshes them.
   */
  readonly credentials?: SignerConfig['credentials'];
}

/**
 * A node-postgres `password` function returning a fresh RDS IAM
 * authentication token for the connection's host, port and user. Signing is
 * local (SigV4 over the credentials); only fetching the credentials reaches
 * the Pod Identity agent, and the pool's connect timeout bounds that wait.
 */
export function iamAuthToken(
  connection: Pick<DatabaseConnection, 'client'>,
  options: IamAuthOptions,
): () => Promise<string> {
  const { host, port, user } = connection.client;
  if (!host || !user) {
    throw new DatabaseCredentialsError(
      'IAM database authentication needs a host and a user in DATABASE_URL (postgresql://<role>@<rds host>:5432/<db>)',
    );
  }
  const signer = new Signer({
    hostname: host,
    port: port ?? 5432,
    username: user,
    region: options.region,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  return () => signer.getAuthToken();
}

/**
 * The connection with the credentials of `auth`. In `iam` mode the URL must
 * carry no password (the token replaces it) and must use TLS (RDS accepts
 * IAM tokens only over TLS, and the token must not cross a network in clear).
 */
export function withDatabaseAuth(
  connection: DatabaseConnection,
  auth: DatabaseAuth,
  options: IamAuthOptions,
): DatabaseConnection {
  if (auth === 'password') return connection;
  if (connection.client.password) {
    throw new DatabaseCredentialsError(
      'DATABASE_URL carries a password, but DATABASE_AUTH=iam signs a token for each connection instead: ' +
        'remove the password from the URL, or set DATABASE_AUTH=password',
    );
  }
  if (connection.sslMode === 'disable') {
    throw new DatabaseCredentialsError(
      'DATABASE_AUTH=iam needs TLS: add sslmode=verify-full&sslrootcert=<the RDS CA bundle> to DATABASE_URL ' +
        '(RDS accepts IAM tokens only over TLS)',
    );
  }
  return {
    ...connection,
    client: { ...connection.client, password: iamAuthToken(connection, options) },
    description: `${connection.description} (auth: iam)`,
  };
}
