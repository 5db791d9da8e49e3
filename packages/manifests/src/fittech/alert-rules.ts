import {
  BURN_RATE_WINDOWS,
  resourceNames,
  burnRateFactor,
  type BurnRateWindow,
  type FitTechConfig,
} from '@fittech/shared';
import type { MetricsRuleTarget, PrometheusRuleGroup, PrometheusRuleSpec } from '../workload/props';

/**
 * The FitTech API's Prometheus rules, from the configuration's SLOs: the
 * multi-window, multi-burn-rate alerts of the Google SRE workbook for
 * availability (requests not answered 5xx) and latency (requests answered
 * within the goal), recording rules for each window's error ratio, and the
 * alerts on pod restarts, the cache hit ratio and the database pool. The
 * series are those the API exports (packages/api/README.md, "Metrics");
 * `promtool test rules` drives every alert (test/alert-rules.test.ts).
 */

/** The API's series the rules read (packages/api/README.md lists them). */
export const API_SERIES = {
  requestDuration: 'fittech_http_request_duration_seconds',
  cacheLookups: 'fittech_cache_lookups_total',
  poolConnections: 'fittech_db_pool_connections',
  poolIdle: 'fittech_db_pool_idle_connections',
  poolWaiting: 'fittech_db_pool_waiting_requests',
  poolMax: 'fittech_db_pool_max_connections',
  /** kube-state-metrics' restart counter (the kube-prometheus-stack installs it). */
  restarts: 'kube_pod_container_status_restarts_total',
} as const;

/** Every window a burn-rate alert reads, once each. */
const RATE_WINDOWS = [...new Set(BURN_RATE_WINDOWS.flatMap((w) => [w.short, w.long]))];

/** The alert names, for the runbook and the tests. */
export const ALERT_NAMES = {
  availability: (w: BurnRateWindow) => `FitTechApiAvailabilityBudgetBurn${w.long}`,
  latency: (w: BurnRateWindow) => `FitTechApiLatencyBudgetBurn${w.long}`,
  restarts: 'FitTechApiPodRestarting',
  cacheHitRatio: 'FitTechApiCacheHitRatioLow',
  poolSaturation: 'FitTechApiDatabasePoolSaturated',
} as const;

/** Recording rule names (level:metric:operations). */
export const RECORDED = {
  errorRatio: (w: string) => `job:fittech_http_requests_errors:ratio_rate${w}`,
  slowRatio: (w: string) => `job:fittech_http_requests_slow:ratio_rate${w}`,
} as const;

const percent = (ratio: number) => `${Number((ratio * 100).toFixed(4))} %`;

/** The rule groups for one release's series. */
export function fitTechRuleGroups(
  config: FitTechConfig,
  target: MetricsRuleTarget,
): PrometheusRuleGroup[] {
  const { slo, alerts } = config.observability;
  const job = `job="${target.job}", namespace="${target.namespace}"`;
  const by = 'sum by (namespace, job)';
  const requests = (w: string, extra = '') =>
    `${by} (rate(${API_SERIES.requestDuration}_count{${job}${extra}}[${w}]))`;
  const runbook = (alert: string) => `${alerts.runbookUrl}#${alert.toLowerCase()}`;
  const le = String(slo.latency.thresholdSeconds);
  const goal = `${slo.latency.thresholdSeconds * 1000} ms`;

  const recording: PrometheusRuleSpec[] = RATE_WINDOWS.flatMap((w) => [
    {
      record: RECORDED.errorRatio(w),
      expr: `${requests(w, ', status_code=~"5.."')}\n/\n${requests(w)}`,
    },
    {
      // 1 - (requests within the goal / all requests): the histogram's bucket at the goal.
      record: RECORDED.slowRatio(w),
      expr: `1 - (\n  ${by} (rate(${API_SERIES.requestDuration}_bucket{${job}, le="${le}"}[${w}]))\n  /\n  ${requests(w)}\n)`,
    },
  ]);

  const burnAlerts = (
    kind: 'availability' | 'latency',
    target_: number,
    record: (w: string) => string,
    what: string,
  ): PrometheusRuleSpec[] =>
    BURN_RATE_WINDOWS.map((w) => {
      const factor = burnRateFactor(w, slo.windowDays);
      const threshold = Number((factor * (1 - target_)).toPrecision(6));
      const alert = ALERT_NAMES[kind](w);
      const page = w.severity === 'page';
      return {
        alert,
        expr: `${record(w.long)}{${job}} > ${threshold}\nand\n${record(w.short)}{${job}} > ${threshold}`,
        for: page ? '2m' : '15m',
        labels: {
          severity: page ? 'critical' : 'warning',
          slo: kind,
          window: w.long,
        },
        annotations: {
          summary: `The API is spending its ${kind} error budget ${factor}x too fast (${w.long} and ${w.short} windows).`,
          description:
            `Over the last ${w.long} (confirmed over ${w.short}) more than ${percent(threshold)} of requests ${what}; ` +
            `the SLO allows ${percent(1 - target_)} over ${slo.windowDays} days, so at this rate ${percent(w.budgetSpent)} of the budget ` +
            `goes in ${w.long}. ${page ? 'Page: act now.' : 'Ticket: look today.'}`,
          runbook_url: runbook(alert),
        },
      };
    });

  const { api, redis } = resourceNames(config).containers;
  const containers = `${api}|${redis}`;
  const inUse = `(${API_SERIES.poolConnections}{${job}, pool="requests"} - ${API_SERIES.poolIdle}{${job}, pool="requests"})`;
  const operational: PrometheusRuleSpec[] = [
    {
      alert: ALERT_NAMES.restarts,
      // The Deployment's pods (a hook Job's pod name matches the pattern too: its container does not).
      expr: `increase(${API_SERIES.restarts}{namespace="${target.namespace}", pod=~"${target.podPattern}", container=~"${containers}"}[15m]) >= ${alerts.podRestarts}`,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'An API pod container keeps restarting.',
        description: `A container of an API pod restarted ${alerts.podRestarts} or more times within 15 minutes (crash loop, failed liveness probe or OOM kill).`,
        runbook_url: runbook(ALERT_NAMES.restarts),
      },
    },
    ...(alerts.cacheHitRatio > 0
      ? [
          {
            alert: ALERT_NAMES.cacheHitRatio,
            expr:
              `${by} (rate(${API_SERIES.cacheLookups}{${job}, outcome="hit"}[30m]))\n/\n` +
              `${by} (rate(${API_SERIES.cacheLookups}{${job}}[30m]))\n< ${alerts.cacheHitRatio}`,
            for: '30m',
            labels: { severity: 'warning' },
            annotations: {
              summary: 'The API cache answers too few reads.',
              description: `Fewer than ${percent(alerts.cacheHitRatio)} of cached reads were hits over 30 minutes: the Redis sidecar is down or bypassed, or invalidations flush it; PostgreSQL carries the load.`,
              runbook_url: runbook(ALERT_NAMES.cacheHitRatio),
            },
          },
        ]
      : []),
    {
      alert: ALERT_NAMES.poolSaturation,
      expr:
        `${inUse}\n/ ${API_SERIES.poolMax}{${job}, pool="requests"} >= ${alerts.databasePoolSaturation}\n` +
        `or ${API_SERIES.poolWaiting}{${job}, pool="requests"} > 0`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: "An API replica's database pool is saturated.",
        description: `For 10 minutes an API pod has used ${percent(alerts.databasePoolSaturation)} or more of its PostgreSQL connections, or had queries waiting for one: requests queue behind the pool.`,
        runbook_url: runbook(ALERT_NAMES.poolSaturation),
      },
    },
  ];

  return [
    { name: 'fittech-api-slo.rules', rules: recording },
    {
      name: 'fittech-api-slo.alerts',
      rules: [
        ...burnAlerts('availability', slo.availability, RECORDED.errorRatio, 'were answered 5xx'),
        ...burnAlerts(
          'latency',
          slo.latency.target,
          RECORDED.slowRatio,
          `took longer than ${goal}`,
        ),
      ],
    },
    { name: 'fittech-api.alerts', rules: operational },
  ];
}
