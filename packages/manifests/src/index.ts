/**
 * @fittech/manifests — cdk8s constructs for an HTTP API with a Redis cache
 * sidecar, inside a Helm chart whose fields are bound to typed values where
 * they are written; the packager that writes the chart, the renderer that
 * executes it like `helm template`; and the FitTech chart built from
 * @fittech/shared. Test helpers are in `@fittech/manifests/testing`.
 */

// The FitTech chart (what `pnpm synth` writes to dist/chart and dist/manifests).
export {
  synthesizeFitTechChart,
  FitTechChart,
  fitTechWorkload,
  fitTechValues,
  fitTechChartMetadata,
  packageFitTechChart,
  CHART_VERSION,
  KUBE_VERSION_CONSTRAINT,
  type ChartArtifacts,
  type ChartVersions,
  type FitTechChartProps,
} from './fittech/chart';

// The reusable construct and its values.
export { ApiWithRedisSidecar } from './workload/api-with-redis-sidecar';
export {
  WorkloadEnvironment,
  type WorkloadEnvironmentProps,
  type ResolvedSecretVariable,
} from './workload/environment';
export { type ApiSettings } from './workload/api-container';
export { type RedisSettings } from './workload/redis-sidecar';
export type {
  ApiWithRedisSidecarProps,
  ApiContainerOptions,
  NetworkPolicyPeer,
  ApiEnvironmentOptions,
  SecretVariable,
  RedisSidecarOptions,
  LoadBalancerOptions,
  LoadBalancerTlsOptions,
  MigrationOptions,
  HealthTestOptions,
  MetricsOptions,
  MetricsRuleTarget,
  PrometheusRuleGroup,
  PrometheusRuleSpec,
} from './workload/props';
export {
  apiWorkloadValues,
  secretValueName,
  DEFAULT_TOPOLOGY_SPREAD,
  type ApiWorkloadValues,
  type ApiWorkloadDefaults,
  type ContainerResources,
} from './workload/values';
export { serviceAnnotations, servicePorts, type ServicePort } from './workload/service';
export { METRICS_PORT_NAME, type MetricsTarget } from './workload/metrics';
export { METRICS_DEFAULTS, type MetricsValues } from './workload/metrics-values';
export { fitTechRuleGroups, ALERT_NAMES, API_SERIES, RECORDED } from './fittech/alert-rules';
export { isPinnedImage } from '@fittech/shared';

// The Helm layer: a values-aware Chart with value references, the packager and the renderer.
export {
  HelmChart,
  Helm,
  type HelmChartProps,
  type ChartMetadata,
  type ValuesOverrides,
} from './chart/helm-chart';
export {
  ChartValues,
  type ValuePath,
  type ValueAt,
  type Item,
  type StandardValues,
} from './chart/chart-values';
export type { Condition, Expression } from './chart/tokens';
export { Kube, KubeObject, toKubeJson, type KubeKind } from './chart/kube-object';
export { packageHelmChart, type ChartFiles, type PackageHelmChartOptions } from './chart/packager';
export {
  renderHelmChart,
  renderManifests,
  type RenderOptions,
  type RenderedChart,
  type KubernetesObject,
} from './chart/renderer';
export { helpersTemplate } from './chart/helpers';
export {
  defineValues,
  valueLeaves,
  JSON_SCHEMA_DRAFT_07,
  type ValuesDefinition,
  type ValueLeaf,
  type Json,
} from './values/definition';
export { validateValues, ValuesError, type ValuesProblem } from './values/validate';
export { keepCompiledValidators } from './values/compiled';
export { coalesceValues } from './values/coalesce';
export { valuesYaml, valuesTable } from './values/documents';
export { valuesSchemaDocument } from './values/definition';
export {
  TEMPLATE_FORMS,
  TemplateError,
  parseTemplate,
  type Template,
  type TemplateNode,
  type Pipeline,
  type Command,
  type Operand,
  type ReleaseInfo,
} from './template';
