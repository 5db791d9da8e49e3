import { BURN_RATE_WINDOWS, burnRateFactor, resourceNames } from '@fittech/shared';
import { ALERT_NAMES } from '@fittech/manifests';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { devConfig, names, packaged, render, type Json } from './fixtures';

/**
 * The chart's alert rules, as rendered, checked by Prometheus's own tool:
 * `promtool check rules` (syntax, PromQL) and `promtool test rules` (series
 * in, alerts out) for every alert, with the case that must fire and the one
 * that must not. promtool comes from Debian's `prometheus` package.
 */

const which = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
const promtoolMissing =
  which.error || which.status !== 0
    ? `promtool is not installed (Debian's "prometheus" package; .ci/run installs it)`
    : undefined;
const describeIfPromtool = promtoolMissing ? describe.skip : describe;

const rendered = render(packaged(devConfig).files, {
  metrics: { prometheusRule: { enabled: true } },
}).objects;
const rule = rendered.find((o) => o.kind === 'PrometheusRule') as Json;
const groups = rule.spec.groups as { name: string; rules: Json[] }[];
const alerts = new Map<string, Json>(
  groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => [r.alert as string, r])),
);

const { slo, alerts: thresholds } = devConfig.observability;
const scrape = { job: names.metricsService, namespace: names.namespace };
const labels = (l: Record<string, string>) =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',')}}`;
const requestSeries = (status: string, values: string, le?: string) => ({
  series: `fittech_http_request_duration_seconds_${le ? 'bucket' : 'count'}${labels({
    ...scrape,
    pod: 'fittech-7d4b9c6f5-x2k9q',
    method: 'GET',
    route: '/users/:user_id/dashboard',
    status_code: status,
    ...(le ? { le } : {}),
  })}`,
  values,
});

/** What an alert carries when it fires: its rule's labels and annotations, and the series' labels. */
const expected = (alert: string, seriesLabels: Record<string, string>) => ({
  exp_labels: { ...seriesLabels, ...alerts.get(alert).labels },
  exp_annotations: alerts.get(alert).annotations,
});

/** Per-minute samples: `per` requests a minute, `errors` of them 5xx, for `minutes` minutes. */
function traffic(per: number, errors: number, minutes: number, slow = 0) {
  const ok = per - errors;
  return [
    requestSeries('200', `0+${ok}x${minutes}`),
    requestSeries('503', `0+${errors}x${minutes}`),
    // Buckets at the latency goal: requests within it (the slow ones fall above).
    requestSeries('200', `0+${ok - slow}x${minutes}`, String(slo.latency.thresholdSeconds)),
    requestSeries('503', `0+${errors}x${minutes}`, String(slo.latency.thresholdSeconds)),
  ];
}

interface RuleTest {
  readonly name: string;
  readonly input_series: { series: string; values: string }[];
  readonly alert_rule_test: { eval_time: string; alertname: string; exp_alerts: unknown[] }[];
}

function burnRateTests(kind: 'availability' | 'latency'): RuleTest[] {
  const target = kind === 'availability' ? slo.availability : slo.latency.target;
  // A bad-request ratio just above the slowest alert's threshold and below the fastest's.
  // Between the 6h page's threshold and the 1d ticket's: tickets, no page.
  const threshold = (w: (typeof BURN_RATE_WINDOWS)[number]) =>
    burnRateFactor(w, slo.windowDays) * (1 - target);
  const mild = (threshold(BURN_RATE_WINDOWS[1]) + threshold(BURN_RATE_WINDOWS[2])) / 2;
  const bad = (ratio: number) =>
    kind === 'availability' ? { errors: ratio, slow: 0 } : { errors: 0, slow: ratio };
  const per = 10000;
  const series = (ratio: number, minutes: number) => {
    const b = bad(Math.round(ratio * per));
    return traffic(per, b.errors, minutes, b.slow);
  };
  const firing = (w: (typeof BURN_RATE_WINDOWS)[number]) => ({
    eval_time: w.severity === 'page' ? '30m' : '40m',
    alertname: ALERT_NAMES[kind](w),
    exp_alerts: [expected(ALERT_NAMES[kind](w), { ...scrape })],
  });
  const silent = (w: (typeof BURN_RATE_WINDOWS)[number], at = '40m') => ({
    eval_time: at,
    alertname: ALERT_NAMES[kind](w),
    exp_alerts: [],
  });
  return [
    {
      name: `${kind}: half the requests bad fires every window's alert`,
      input_series: series(0.5, 60),
      alert_rule_test: BURN_RATE_WINDOWS.map(firing),
    },
    {
      name: `${kind}: a mild burn (${(mild * 100).toFixed(2)} % bad) opens tickets, pages nobody`,
      input_series: series(mild, 60),
      alert_rule_test: BURN_RATE_WINDOWS.map((w) => (threshold(w) < mild ? firing(w) : silent(w))),
    },
    {
      name: `${kind}: within the SLO, no alert`,
      input_series: series((1 - target) / 2, 60),
      alert_rule_test: BURN_RATE_WINDOWS.map((w) => silent(w)),
    },
  ];
}

function operationalTests(): RuleTest[] {
  const pod = `${names.deployment}-7d4b9c6f5-x2k9q`;
  const restartLabels = {
    namespace: names.namespace,
    pod,
    container: resourceNames(devConfig).containers.api,
  };
  const pool = (connections: number, idle: number, waiting: number) =>
    [
      ['fittech_db_pool_connections', connections],
      ['fittech_db_pool_idle_connections', idle],
      ['fittech_db_pool_waiting_requests', waiting],
      ['fittech_db_pool_max_connections', devConfig.api.dbPoolMax],
    ].map(([metric, value]) => ({
      series: `${metric}${labels({ ...scrape, pod, pool: 'requests' })}`,
      values: `${value}x40`,
    }));
  const lookups = (hit: number, miss: number) =>
    (
      [
        ['hit', hit],
        ['miss', miss],
      ] as const
    ).map(([outcome, n]) => ({
      series: `fittech_cache_lookups_total${labels({ ...scrape, pod, outcome })}`,
      values: `0+${n}x90`,
    }));
  const cacheAlert = ALERT_NAMES.cacheHitRatio;
  return [
    {
      name: 'a crash-looping API container raises an alert; a migration pod of the release does not',
      input_series: [
        {
          series: `kube_pod_container_status_restarts_total${labels(restartLabels)}`,
          values: '0+1x30',
        },
        {
          series: `kube_pod_container_status_restarts_total${labels({ namespace: names.namespace, pod: `${names.migrationJob}-abcde`, container: 'migrate' })}`,
          values: '0+1x30',
        },
      ],
      alert_rule_test: [
        {
          eval_time: '20m',
          alertname: ALERT_NAMES.restarts,
          exp_alerts: [expected(ALERT_NAMES.restarts, restartLabels)],
        },
      ],
    },
    {
      name: 'one restart is no alert',
      input_series: [
        {
          series: `kube_pod_container_status_restarts_total${labels(restartLabels)}`,
          values: '0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1',
        },
      ],
      alert_rule_test: [{ eval_time: '15m', alertname: ALERT_NAMES.restarts, exp_alerts: [] }],
    },
    {
      name: `a cache hit ratio below ${thresholds.cacheHitRatio} for 30 minutes raises an alert`,
      input_series: lookups(10, 90),
      alert_rule_test: [
        {
          eval_time: '70m',
          alertname: cacheAlert,
          exp_alerts: [expected(cacheAlert, { ...scrape })],
        },
      ],
    },
    {
      name: 'a healthy cache raises nothing',
      input_series: lookups(90, 10),
      alert_rule_test: [{ eval_time: '70m', alertname: cacheAlert, exp_alerts: [] }],
    },
    {
      name: 'a full database pool for 10 minutes raises an alert',
      input_series: pool(devConfig.api.dbPoolMax, 0, 0),
      alert_rule_test: [
        {
          eval_time: '15m',
          alertname: ALERT_NAMES.poolSaturation,
          exp_alerts: [expected(ALERT_NAMES.poolSaturation, { ...scrape, pod, pool: 'requests' })],
        },
      ],
    },
    {
      name: 'queries waiting for a connection raise it too',
      input_series: [
        ...pool(devConfig.api.dbPoolMax / 2, 0, 3).slice(0, 3),
        ...pool(0, 0, 0).slice(3),
      ],
      alert_rule_test: [
        {
          eval_time: '15m',
          alertname: ALERT_NAMES.poolSaturation,
          exp_alerts: [expected(ALERT_NAMES.poolSaturation, { ...scrape, pod, pool: 'requests' })],
        },
      ],
    },
    {
      name: 'a half-used pool raises nothing',
      input_series: pool(devConfig.api.dbPoolMax / 2, 0, 0),
      alert_rule_test: [
        { eval_time: '15m', alertname: ALERT_NAMES.poolSaturation, exp_alerts: [] },
      ],
    },
  ];
}

describeIfPromtool(
  promtoolMissing
    ? `promtool check/test rules — skipped: ${promtoolMissing}`
    : `promtool check rules / test rules on the chart's PrometheusRule (${which.stdout.split('\n')[0]})`,
  () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'fittech-promtool-'));
      writeFileSync(join(dir, 'rules.yaml'), stringify({ groups }));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const promtool = (args: string[]) => {
      const run = spawnSync('promtool', args, { cwd: dir, encoding: 'utf8' });
      return { status: run.status, output: `${run.stdout}${run.stderr}` };
    };

    test('promtool check rules accepts the rendered groups', () => {
      const result = promtool(['check', 'rules', 'rules.yaml']);
      console.info(`promtool check rules rules.yaml\n${result.output}`);
      expect(result.output).toContain(
        `SUCCESS: ${groups.reduce((n, g) => n + g.rules.length, 0)} rules found`,
      );
      expect(result.status).toBe(0);
    });

    test('promtool test rules: every alert fires on the series that should raise it, and only then', () => {
      const tests = [
        ...burnRateTests('availability'),
        ...burnRateTests('latency'),
        ...operationalTests(),
      ];
      const tested = new Set(
        tests.flatMap((t) =>
          t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname),
        ),
      );
      // Every alert of the rendered rules is driven to firing by some test.
      expect([...alerts.keys()].sort()).toEqual([...tested].sort());
      writeFileSync(
        join(dir, 'tests.yaml'),
        stringify({
          rule_files: ['rules.yaml'],
          evaluation_interval: '1m',
          tests: tests.map(({ name, input_series, alert_rule_test }) => ({
            // promtool names a failing test by its position; the name goes in the output below.
            interval: '1m',
            input_series,
            alert_rule_test,
            name,
          })),
        }),
      );
      const result = promtool(['test', 'rules', 'tests.yaml']);
      console.info(
        `promtool test rules tests.yaml (${tests.length} tests, ${alerts.size} alerts)\n${tests.map((t) => `  - ${t.name}`).join('\n')}\n${result.output}`,
      );
      expect(result.output).toContain('SUCCESS');
      expect(result.status).toBe(0);
    });

    test('promtool test rules fails when an alert does not fire as expected (the check can fail)', () => {
      const alert = ALERT_NAMES.availability(BURN_RATE_WINDOWS[0]);
      writeFileSync(
        join(dir, 'wrong.yaml'),
        stringify({
          rule_files: ['rules.yaml'],
          evaluation_interval: '1m',
          tests: [
            {
              interval: '1m',
              input_series: traffic(1000, 0, 60),
              alert_rule_test: [
                {
                  eval_time: '30m',
                  alertname: alert,
                  exp_alerts: [expected(alert, { ...scrape })],
                },
              ],
            },
          ],
        }),
      );
      const result = promtool(['test', 'rules', 'wrong.yaml']);
      expect(result.status).not.toBe(0);
      expect(result.output).toContain(alert);
    });
  },
);
