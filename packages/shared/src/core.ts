/**
 * `@fittech/shared/core`: what code that reads an already resolved
 * configuration needs — the derived names, the contracts between artifacts and
 * the errors to raise — without the configuration schema and its validator
 * (zod), which only resolving a configuration needs. The Terraform stack uses
 * it, so that a thread that only synthesizes Terraform (the synth CLI's
 * worker) never loads them. Everything here is also exported by the package's
 * main entry.
 */
export type { FitTechConfig, Environment, ContainerResources } from './schema';
export * from './names';
export * from './contracts';
export { ConfigError, type ConfigProblem } from './config-error';
export { ProblemsError, formatProblem, showValue, type Problem } from './problems';
export { apiDatabaseConnections, API_EXTRA_CONNECTIONS_PER_REPLICA } from './database-connections';
