import * as kplus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';
import type { ChartValues } from '../chart/chart-values';
import { Helm, HelmChart } from '../chart/helm-chart';
import { Kube, KubeObject } from '../chart/kube-object';
import type { MetricsOptions, MetricsRuleTarget, PrometheusRuleGroup } from './props';
import type { ApiWorkloadValues } from './values';

/**
 * The pods' metrics as the Prometheus Operator sees them: a ClusterIP Service
 * of the `metrics` port (never the public LoadBalancer Service, so no client
 * reaches it), a ServiceMonitor that scrapes it, and a PrometheusRule. All
 * three exist only when the chart values ask for them
 * (`metrics.serviceMonitor.enabled`, `metrics.prometheusRule.enabled`): a
 * cluster without the operator's CRDs installs the chart as it is.
 */

/** The container port (and Service port) name the metrics are served on. */
export const METRICS_PORT_NAME = 'metrics';
const DEFAULT_METRICS_PATH = '/metrics';

/** Where the rules find the workload's series: what a ServiceMonitor scrape labels them with. */
export interface MetricsTarget extends MetricsRuleTarget {
  /** The `namespace` label: the release's namespace. */
  readonly namespace: string;
  /** The `job` label: the Prometheus Operator names it after the scraped Service. */
  readonly job: string;
  /** A regular expression matching the names of the Deployment's pods (`<fullname>-<hash>-<id>`). */
  readonly podPattern: string;
}

interface MetricsParts {
  readonly options: MetricsOptions;
  /** The number of the pods' `metrics` port (`api.metricsPort`). */
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly podSelector: Readonly<Record<string, string>>;
  /** The Deployment's name (the pods' name prefix). */
  readonly deployment: string;
}

/** The templates' literal text must hold no template delimiters: Helm would execute them. */
function checkNoTemplateText(groups: readonly PrometheusRuleGroup[], where: string): void {
  const strings: string[] = [];
  JSON.stringify(groups, (_key, value: unknown) => {
    if (typeof value === 'string') strings.push(value);
    return value;
  });
  if (strings.some((s) => /\{\{|\}\}/.test(s))) {
    throw new Error(
      `${where}: a rule holds "{{" or "}}", which Helm would execute as a template; write annotations without Prometheus template syntax`,
    );
  }
}

export function metricsObjects(scope: Construct, parts: MetricsParts) {
  const chart = HelmChart.of(scope);
  const values = chart.values as unknown as ChartValues<ApiWorkloadValues>;
  const serviceName = chart.fullname('metrics');
  const serviceLabels = { ...parts.labels, 'app.kubernetes.io/component': METRICS_PORT_NAME };
  // Only the metrics Service carries component=metrics: the ServiceMonitor can never pick the public one.
  const serviceSelector = {
    ...chart.selectorLabels(),
    'app.kubernetes.io/component': METRICS_PORT_NAME,
  };
  const monitorEnabled = values.isSet('metrics.serviceMonitor.enabled');
  const namespaceOf = (
    path: 'metrics.serviceMonitor.namespace' | 'metrics.prometheusRule.namespace',
  ) => Helm.choose(values.isSet(path), values.ref(path), chart.release.namespace);

  const service = new KubeObject(
    scope,
    'MetricsService',
    Kube.Service,
    { name: serviceName, labels: serviceLabels },
    () => ({
      spec: {
        type: 'ClusterIP',
        selector: parts.podSelector,
        ports: [
          {
            name: METRICS_PORT_NAME,
            port: parts.port,
            targetPort: kplus.k8s.IntOrString.fromString(METRICS_PORT_NAME),
            protocol: 'TCP',
          },
        ],
      },
    }),
  );
  chart.includeObjectWhen(service, monitorEnabled);

  const serviceMonitor = new KubeObject(
    scope,
    'ServiceMonitor',
    Kube.ServiceMonitor,
    {
      name: chart.fullname(),
      namespace: namespaceOf('metrics.serviceMonitor.namespace'),
      labels: { ...parts.labels, ...values.entries('metrics.serviceMonitor.labels') },
    },
    () => ({
      spec: {
        selector: { matchLabels: serviceSelector },
        // The monitor may live in the operator's namespace; the Service stays in the release's.
        namespaceSelector: { matchNames: [chart.release.namespace] },
        endpoints: [
          {
            port: METRICS_PORT_NAME,
            path: parts.options.path ?? DEFAULT_METRICS_PATH,
            scheme: 'http' as const,
            interval: values.ref('metrics.serviceMonitor.interval'),
            scrapeTimeout: values.ref('metrics.serviceMonitor.scrapeTimeout'),
          },
        ],
      },
    }),
  );
  chart.includeObjectWhen(serviceMonitor, monitorEnabled);

  const target: MetricsTarget = {
    namespace: chart.release.namespace,
    job: serviceName,
    podPattern: `${parts.deployment}-[a-z0-9]+-[a-z0-9]+`,
  };
  const groups = parts.options.rules?.(target) ?? [];
  checkNoTemplateText(groups, `${scope.node.path}/PrometheusRule`);
  const prometheusRule =
    groups.length > 0
      ? new KubeObject(
          scope,
          'PrometheusRule',
          Kube.PrometheusRule,
          {
            name: chart.fullname(),
            namespace: namespaceOf('metrics.prometheusRule.namespace'),
            labels: { ...parts.labels, ...values.entries('metrics.prometheusRule.labels') },
          },
          () => ({
            spec: {
              groups: groups.map((g) => ({ ...g, rules: g.rules.map((r) => ({ ...r })) })),
            },
          }),
        )
      : undefined;
  if (prometheusRule)
    chart.includeObjectWhen(prometheusRule, values.isSet('metrics.prometheusRule.enabled'));
  return { service, serviceMonitor, prometheusRule };
}
