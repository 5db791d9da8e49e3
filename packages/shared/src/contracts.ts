/**
 * Names that two packages (and the running systems between them) must agree
 * on, defined once: the chart's secret value names, the Terraform outputs the
 * deploy CLI reads, and the Terraform variable that carries the DB password.
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
  /** Sensitive: the API's DATABASE_URL. */
  databaseUrl: 'database_url',
  kubeconfigCommand: 'kubeconfig_command',
} as const;

/** The sensitive input variable holding the RDS master password: set `TF_VAR_db_password`. */
export const DB_PASSWORD_VARIABLE = 'db_password';
