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
  ENVIRONMENTS,
  type FitTechConfig,
  type FitTechConfigInput,
  type Environment,
  type ContainerResources,
} from './schema';
export { environmentPresets, type ConfigOverrides } from './environments';
export {
  resolveConfig,
  deepMerge,
  ConfigError,
  type ConfigProblem,
  type ResolveOptions,
} from './config';
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
  type InstanceType,
  type NodeAllocatable,
  type CapacityReport,
} from './capacity';
export { cpuMillis, memoryMiB } from './quantities';
