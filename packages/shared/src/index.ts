/**
 * @fittech/shared — the single source of truth. Every artifact (Terraform,
 * manifests, Helm chart, pipeline) and the API's runtime read names, ports,
 * paths and the environment contract from here.
 */
export {
  configSchema,
  dns1123Label,
  port,
  SUPPORTED_KUBERNETES_VERSIONS,
  TLS_POLICIES,
  type FitTechConfig,
  type FitTechConfigInput,
  type Environment,
  type ContainerResources,
} from './schema';
export { DEFAULTS } from './defaults';
export {
  defineConfig,
  environmentNames,
  type ConfigOverrides,
  type ProjectConfig,
} from './project';
export {
  resolveConfig,
  knownKeys,
  ConfigError,
  type ConfigProblem,
  type Locate,
  type ResolveOptions,
} from './config';
export { deepMerge, isPlainObject } from './merge';
export { ProblemsError, formatProblem, showValue, type Problem } from './problems';
export { didYouMean } from './suggest';
export { readOverridesFile, type OverridesFile } from './config-file';
export { secretValueName, TERRAFORM_OUTPUTS } from './contracts';
export {
  chartVersion,
  isReleaseVersion,
  isSemver,
  ociTag,
  releaseTag,
  RELEASE_PACKAGE,
  type ChartVersionInputs,
} from './chart-version';
export {
  APP_VERSION,
  API_IMAGE,
  REDIS_UID,
  resourceNames,
  selectorLabels,
  chartName,
  helmFullname,
  helmSuffixedName,
  defaultImageRepository,
  terminationGracePeriodSeconds,
  redisUrl,
  type ResourceNames,
  type HelmNameInputs,
} from './names';
export {
  apiEnvironment,
  parseApiEnvironment,
  apiEnvironmentManifest,
  ApiEnvironmentError,
  type ApiEnvironment,
  type ApiEnvironmentProblem,
  type ApiVariable,
  type ApiVariableName,
  type ApiEnvironmentManifest,
  type ConfigVariable,
  type SecretVariable,
} from './api-environment';
export {
  API_ROLLOUT,
  INSTANCE_TYPES,
  SYSTEM_DAEMONSETS,
  COREDNS,
  EVICTION_THRESHOLD_MIB,
  allocatable,
  maxPods,
  kubeReservedCpuMillis,
  capacityReport,
  checkCapacity,
  checkReplicas,
  autoscalingMaxReplicas,
  defaultMaxReplicas,
  type ReplicaDemand,
  type CapacityProblem,
  type InstanceType,
  type NodeAllocatable,
  type CapacityReport,
} from './capacity';
export { CPU_QUANTITY, MEMORY_QUANTITY, cpuMillis, memoryMiB } from './quantities';
export { STAMP_FILE, configHash, synthStamp, type StampedChart, type SynthStamp } from './stamp';
export { OVERRIDES_SCHEMA_FILE, overridesJsonSchema } from './json-schema';
export { retry, RetryError, exponentialBackoff, sleep, type RetryOptions } from './retry';
export {
  podRuleProblems,
  imagePinProblem,
  isPinnedImage,
  type PodRulesInput,
  type PodRulePaths,
  type PodRuleProblem,
} from './pod-rules';
export {
  isProductionEnvironment,
  serviceListeners,
  tlsListener,
  publicHealthUrl,
  publicBaseUrl,
  endpointProblems,
  type Listener,
  type TlsListener,
  type EndpointProblem,
} from './endpoint';
export {
  observabilitySchema,
  observabilityProblems,
  burnRateFactor,
  BURN_RATE_WINDOWS,
  HTTP_DURATION_BUCKETS,
  type BurnRateWindow,
  type ObservabilityConfig,
  type ObservabilityProblem,
} from './observability';
export { apiDatabaseConnections, API_EXTRA_CONNECTIONS_PER_REPLICA } from './database-connections';
