/**
 * Names that two packages (and the running systems between them) must agree
 * on, defined once: the chart's secret value names, the Terraform outputs the
 * deploy CLI reads. No Terraform variable carries a database password: RDS
 * keeps the master password in Secrets Manager.
 */

/**
 * The chart value of a key in the API's Secret: `database-url` → `databaseUrl`
 * (`secrets.databaseUrl` in values.yaml; the deploy CLI writes the same names).
 */
export function secretValueName(secretKey: string): string {
  return secretKey.replace(/[-_.]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The Terraform outputs of the stack (`terraform output -raw <name>`). */
export const TERRAFORM_OUTPUTS = {
  clusterName: 'cluster_name',
  clusterEndpoint: 'cluster_endpoint',
  region: 'region',
  ecrRepositoryUrl: 'ecr_repository_url',
  /** Host name of the RDS instance (without the port). */
  dbEndpoint: 'db_endpoint',
  dbPort: 'db_port',
  /**
   * The API's DATABASE_URL as the application role, without a password (IAM tokens
   * replace it): not sensitive.
   */
  databaseUrl: 'database_url',
  /** ARN of the Secrets Manager secret where RDS keeps (and rotates) the master password. */
  dbMasterUserSecretArn: 'db_master_user_secret_arn',
  kubeconfigCommand: 'kubeconfig_command',
} as const;
