/** The deploy CLI's building blocks (the executable is cli.ts → dist/deploy/cli.js, bin `fittech-deploy`). */
export { command, formatCommand, shellQuote, type Command } from './command';
export * as deployCommands from './tool-commands';
export { parseDuration, formatDuration } from './duration';
export {
  backoffDelays,
  checkHealth,
  probe,
  type AttemptResult,
  type HealthCheckOptions,
  type HealthCheckResult,
} from './healthcheck';
export {
  DATABASE_URL_OUTPUT,
  clusterAutoscaler,
  DeployError,
  deploy,
  diagnose,
  dnsRecord,
  endpoint,
  healthUrl,
  healthcheck,
  helmTest,
  helmUpgrade,
  kubeconfig,
  releaseImage,
  releaseSecrets,
  rollout,
  selectPods,
  teardown,
  DEFAULT_ENDPOINT_POLL,
  DEFAULT_HEALTH,
  DEFAULT_TEARDOWN,
  type DeployContext,
  type DeployOptions,
  type HealthOptions,
  type HelmUpgradeOptions,
  type ImageOptions,
  type PodSource,
  type PodTarget,
  type PollOptions,
  type RolloutOptions,
  type TeardownOptions,
} from './operations';
export { checkStamp } from './stamp';
export {
  ProcessRunner,
  MissingToolError,
  findExecutable,
  type RunnerOptions,
  type CommandResult,
  type CommandRunner,
  type Io,
  type Output,
  type RunOptions,
} from './runner';
export { secretValueName, withValuesFile, VALUES_FILE_NAME, type ReleaseValues } from './values';
export { main as deployCli, type CliDependencies } from './cli';
