import { Type, type TSchema } from '@sinclair/typebox';
import { CHART_LABEL_PREFIXES, LABEL_VALUE, stringMap } from './values-schema';

/**
 * The `metrics` values (Bitnami's names): the ServiceMonitor and the
 * PrometheusRule, both off by default so that a cluster without the
 * Prometheus Operator's CRDs installs the chart.
 */
export interface MetricsValues {
  readonly serviceMonitor: {
    readonly enabled: boolean;
    readonly namespace: string;
    readonly interval: string;
    readonly scrapeTimeout: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly prometheusRule: {
    readonly enabled: boolean;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
  };
}

export const METRICS_DEFAULTS: MetricsValues = {
  serviceMonitor: {
    enabled: false,
    namespace: '',
    interval: '30s',
    scrapeTimeout: '10s',
    labels: {},
  },
  prometheusRule: { enabled: false, namespace: '', labels: {} },
};

/** A Prometheus duration as the operator's CRDs accept it ("30s", "1m30s"). */
const DURATION = '^(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$';
const NAMESPACE = '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$';

export function metricsSchema(workloadLabels: readonly string[]): Record<string, TSchema> {
  const labels = (what: string) =>
    stringMap(
      `Extra labels on the ${what}, e.g. the label the Prometheus Operator's ${what}Selector picks (release: kube-prometheus-stack).`,
      {
        prefixes: CHART_LABEL_PREFIXES,
        keys: workloadLabels,
        why: 'set by the chart (the recommended labels)',
      },
      {},
      LABEL_VALUE,
    );
  const namespace = (what: string) =>
    Type.String({
      maxLength: 63,
      pattern: NAMESPACE,
      description: `Namespace of the ${what}; empty: the release's namespace.`,
    });
  return {
    metrics: Type.Object(
      {
        serviceMonitor: Type.Object(
          {
            enabled: Type.Boolean({
              description:
                'Create a ServiceMonitor (monitoring.coreos.com/v1; the Prometheus Operator must be installed) and the ClusterIP Service `<fullname>-metrics` it scrapes.',
            }),
            namespace: namespace('ServiceMonitor'),
            interval: Type.String({
              pattern: DURATION,
              minLength: 2,
              description: 'How often Prometheus scrapes each pod, e.g. "30s".',
            }),
            scrapeTimeout: Type.String({
              pattern: DURATION,
              minLength: 2,
              description: 'How long a scrape may take; at most the interval.',
            }),
            labels: labels('serviceMonitor'),
          },
          { additionalProperties: false, description: 'The ServiceMonitor' },
        ),
        prometheusRule: Type.Object(
          {
            enabled: Type.Boolean({
              description:
                'Create a PrometheusRule (monitoring.coreos.com/v1) with the SLO burn-rate alerts and the pod, cache and database pool alerts.',
            }),
            namespace: namespace('PrometheusRule'),
            labels: labels('ruleSelector'),
          },
          { additionalProperties: false, description: 'The PrometheusRule' },
        ),
      },
      { additionalProperties: false, title: 'Metrics', description: 'Prometheus Operator objects' },
    ),
  };
}
