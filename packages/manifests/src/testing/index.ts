/**
 * @fittech/manifests/testing — helpers for the tests of charts built with
 * this package: synthesize and render them, validate every object against the
 * Kubernetes OpenAPI schemas, and run the policy checks.
 */
import { packageHelmChart, type ChartFiles, type PackageHelmChartOptions } from '../chart/packager';
import type { HelmChart } from '../chart/helm-chart';
import { renderHelmChart, type KubernetesObject, type RenderedChart } from '../chart/renderer';

export { validateKubernetesObjects, type ObjectProblem, type ValidationReport } from './validate';
export {
  policyProblems,
  POLICY_RULES,
  type PolicyProblem,
  type PolicyRule,
  type Obj,
} from './policy';

/** A chart's objects for its synthesis release and values (what `app.synth()` writes). */
export function synthesizeObjects<T>(chart: HelmChart<T>): KubernetesObject[] {
  return chart.toJson() as KubernetesObject[];
}

/**
 * Packages a chart and renders it, like `helm package` then `helm template`:
 * for the chart's synthesis release unless another is given.
 */
export function renderPackagedChart<T>(
  chart: HelmChart<T>,
  options: PackageHelmChartOptions & {
    readonly release?: string;
    readonly namespace?: string;
    readonly values?: unknown;
    readonly includeTests?: boolean;
  } = {},
): { readonly files: ChartFiles; readonly rendered: RenderedChart } {
  const files = packageHelmChart(chart, options);
  const rendered = renderHelmChart(files, {
    release: options.release ?? chart.synthesisRelease.name,
    namespace: options.namespace ?? chart.synthesisRelease.namespace,
    ...(options.values !== undefined ? { values: options.values } : {}),
    ...(options.includeTests !== undefined ? { includeTests: options.includeTests } : {}),
  });
  return { files, rendered };
}
