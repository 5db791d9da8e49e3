import type { Chart } from 'cdk8s';
import { packageHelmChart, type ChartFiles, type PackageHelmChartOptions } from '../helm/packager';
import {
  renderHelmChart,
  type KubernetesObject,
  type RenderedChart,
  type RenderOptions,
} from '../helm/renderer';

export { validateKubernetesObjects, type ObjectProblem, type ValidationReport } from './validate';
export { policyProblems, POLICY_RULES, type PolicyProblem, type PolicyRule } from './policy';

/** Synthesizes a chart to plain objects (a HelmChart: for its values, conditions applied). */
export function synthesizeObjects(chart: Chart): KubernetesObject[] {
  return chart.toJson() as KubernetesObject[];
}

/** Packages a chart and renders it with values, like `helm package` then `helm template`. */
export function renderPackagedChart(
  chart: Chart,
  options: Partial<PackageHelmChartOptions> & Partial<RenderOptions>,
): { readonly files: ChartFiles; readonly rendered: RenderedChart } {
  const files = packageHelmChart(chart, {
    metadata: options.metadata ?? {
      name: 'chart',
      version: '0.0.0',
      appVersion: '0.0.0',
      description: 'A chart.',
    },
    ...(options.notes ? { notes: options.notes } : {}),
    ...(options.readme ? { readme: options.readme } : {}),
  });
  const rendered = renderHelmChart(files, {
    namespace: options.namespace ?? chart.namespace ?? 'default',
    ...(options.values !== undefined ? { values: options.values } : {}),
    ...(options.includeTests !== undefined ? { includeTests: options.includeTests } : {}),
  });
  return { files, rendered };
}
