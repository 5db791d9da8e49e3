/**
 * @fittech/manifests — cdk8s constructs for an HTTP API with a Redis cache
 * sidecar, a Helm chart packager with typed, schema-checked values, its
 * renderer, and test helpers; and the FitTech chart built from @fittech/shared.
 */

// The FitTech chart (what `pnpm synth` writes to dist/chart and dist/manifests).
export {
  synthesizeFitTechChart,
  FitTechChart,
  fitTechValues,
  fitTechChartMetadata,
  packageFitTechChart,
  CHART_VERSION,
  KUBE_VERSION_CONSTRAINT,
  type ChartArtifacts,
  type FitTechChartProps,
} from './fittech/chart';

// The reusable construct and its values.
export {
  ApiWithRedisSidecar,
  type ApiWithRedisSidecarProps,
  type ApiContainerOptions,
  type ApiEnvironmentOptions,
  type RedisSidecarOptions,
  type LoadBalancerOptions,
  type MigrationOptions,
  type HealthTestOptions,
  type WorkloadNames,
} from './workload/api-with-redis-sidecar';
export {
  apiWorkloadValues,
  secretValueName,
  type ApiWorkloadValues,
  type ApiWorkloadValuesOptions,
  type ContainerResources,
  type SecretValueOptions,
} from './workload/values';

// The Helm layer: typed values, a values-aware Chart, the packager and the renderer.
export {
  HelmChart,
  type HelmChartProps,
  type ValuesOverrides,
  type ValueBinding,
  type FieldCondition,
  type TemplateSource,
} from './helm/chart';
export { Helm, type HelmExpression, type HelmCondition, type HelmBranch } from './helm/expressions';
export {
  defineValues,
  validateValues,
  mergeValues,
  valuesYaml,
  valuesSchemaDocument,
  valuesTable,
  valueLeaves,
  ValuesError,
  JSON_SCHEMA_DRAFT_07,
  type ValuesDefinition,
  type ValuesProblem,
  type ValueLeaf,
} from './helm/values';
export {
  packageHelmChart,
  type ChartMetadata,
  type ChartFiles,
  type PackageHelmChartOptions,
} from './helm/packager';
export {
  renderHelmChart,
  type RenderOptions,
  type RenderedChart,
  type KubernetesObject,
} from './helm/renderer';
export { TEMPLATE_FORMS, TemplateError, parseTemplate } from './helm/template-language';

// Test helpers for charts built with this package.
export {
  synthesizeObjects,
  renderPackagedChart,
  validateKubernetesObjects,
  policyProblems,
  POLICY_RULES,
  type ObjectProblem,
  type ValidationReport,
  type PolicyProblem,
  type PolicyRule,
} from './testing';
