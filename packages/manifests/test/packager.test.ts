import { Type } from '@sinclair/typebox';
import { App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApiWithRedisSidecar,
  apiWorkloadValues,
  defineValues,
  Helm,
  HelmChart,
  Kube,
  KubeObject,
  packageHelmChart,
  renderHelmChart,
  TemplateError,
  type ApiWithRedisSidecarProps,
} from '@fittech/manifests';
import { renderPackagedChart, synthesizeObjects } from '@fittech/manifests/testing';
import { byKey, find, type Json } from './fixtures';

const chartMetadata = {
  name: 'demo',
  version: '1.2.3',
  appVersion: '4.5.6',
  description: 'A demo chart.',
};

const values = defineValues(
  Type.Object(
    {
      replicas: Type.Integer({ description: 'Replicas.', minimum: 0 }),
      tier: Type.String({ description: 'Tier label.' }),
      debug: Type.Boolean({ description: 'Debug mode.' }),
      extraLabels: Type.Unsafe<Record<string, string>>({
        type: 'object',
        description: 'Extra labels.',
        additionalProperties: { type: 'string' },
        patternProperties: { '^app$': { not: {}, description: 'set by the chart' } },
      }),
      ports: Type.Unsafe<{ name: string; port: number }[]>({
        type: 'array',
        description: 'Extra ports.',
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, port: { type: 'integer' } },
        },
      }),
    },
    { additionalProperties: false },
  ),
  { replicas: 1, tier: 'web', debug: false, extraLabels: {}, ports: [] },
);
type Values = typeof values.defaults;

function demo(valueOverrides?: Json, release?: { name?: string; namespace?: string }) {
  const chart = new HelmChart<Values>(new App(), 'demo', {
    chart: chartMetadata,
    values,
    ...(valueOverrides ? { valueOverrides } : {}),
    ...(release ? { release } : {}),
  });
  const v = chart.values;
  new KubeObject(
    chart,
    'settings',
    Kube.ConfigMap,
    { name: chart.fullname('settings'), labels: { app: 'demo', ...v.entries('extraLabels') } },
    () => ({
      data: {
        // Scalars become quoted strings, numbers stay numbers in their own fields.
        tier: v.ref('tier'),
        url: `http://${chart.fullname()}.${chart.release.namespace}.svc:8080/${v.ref('tier')}?r=${v.ref('replicas')}&p=100%`,
        mode: Helm.choose(v.isSet('debug'), 'debug', 'normal'),
        verbose: Helm.onlyIf(v.isSet('debug'), 'yes'),
      },
    }),
  );
  const service = new KubeObject(chart, 'web', Kube.Service, { name: chart.fullname() }, () => ({
    spec: {
      ports: [
        { name: 'http', port: 80, targetPort: kplus.k8s.IntOrString.fromString('http') },
        Helm.onlyIf(v.isSet('debug'), { name: 'debug', port: 9229 }),
        ...v.items('ports'),
      ],
      selector: { app: 'demo' },
    },
  }));
  const debug = new KubeObject(
    chart,
    'debug',
    Kube.ConfigMap,
    { name: chart.fullname('debug') },
    () => ({ data: { on: 'yes' } }),
  );
  chart.includeObjectWhen(debug, v.isSet('debug'));
  void service;
  return chart;
}

describe('value references, bound where the field is written', () => {
  const base = packageHelmChart(demo());

  test.each([
    ['defaults', {}],
    ['debug on', { debug: true }],
    [
      'other values',
      {
        tier: 'say "no" & 100%',
        replicas: 12,
        extraLabels: { team: 'x' },
        ports: [{ name: 'metrics', port: 9090 }],
      },
    ],
  ])('the templates render what the chart synthesizes: %s', (_name, overrides) => {
    expect(packageHelmChart(demo(overrides))).toEqual(base);
    const rendered = renderHelmChart(base, {
      release: 'demo',
      namespace: 'default',
      values: overrides,
      includeTests: true,
    });
    expect(byKey(rendered.objects)).toEqual(byKey(synthesizeObjects(demo(overrides))));
  });

  test('each reference becomes its template form', () => {
    const cm = base['templates/config-map-settings.yaml']!;
    expect(cm).toContain('  name: {{ include "demo.fullname.settings" . | quote }}');
    expect(cm).toContain('  tier: {{ .Values.tier | quote }}');
    expect(cm).toContain(
      '  url: {{ printf "http://%v.%v.svc:8080/%v?r=%v&p=100%%" (include "demo.fullname" .) .Release.Namespace .Values.tier .Values.replicas | quote }}',
    );
    expect(cm).toContain('  mode: {{ if .Values.debug }}"debug"{{ else }}"normal"{{ end }}');
    expect(cm).toContain('  {{- if .Values.debug }}\n  verbose: "yes"\n  {{- end }}');
    expect(cm).toContain(
      '    {{- if .Values.extraLabels }}\n    {{- toYaml .Values.extraLabels | nindent 4 }}\n    {{- end }}',
    );
    const svc = base['templates/service.yaml']!;
    expect(svc).toContain(
      '    {{- if .Values.debug }}\n    - name: debug\n      port: 9229\n    {{- end }}',
    );
    expect(svc).toContain(
      '    {{- if .Values.ports }}\n    {{- toYaml .Values.ports | nindent 4 }}\n    {{- end }}',
    );
    expect(base['templates/config-map-debug.yaml']).toMatch(
      /^\{\{- if \.Values\.debug \}\}\n[\s\S]*\{\{- end \}\}\n$/,
    );
    expect(base['templates/_helpers.tpl']).toContain('{{- define "demo.fullname.settings" -}}');
  });

  test('the synthesis follows the release: names, namespace', () => {
    const objects = synthesizeObjects(demo({}, { name: 'blue', namespace: 'shop' }));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}/${o.metadata.namespace}`)).toEqual([
      'ConfigMap/blue-demo-settings/shop',
      'Service/blue-demo/shop',
    ]);
    expect(find(objects, 'ConfigMap').data.url).toBe(
      'http://blue-demo.shop.svc:8080/web?r=1&p=100%',
    );
  });

  test('a reference to a value that does not exist fails at synthesis, naming it', () => {
    const chart = new HelmChart<Values>(new App(), 'c', { chart: chartMetadata, values });
    // @ts-expect-error — the path is typed: this does not compile
    expect(() => chart.values.ref('replicaCount')).toThrow(
      /"replicaCount" is not a value of this chart/,
    );
    // @ts-expect-error — nor does a typo in a nested path
    expect(() => chart.values.ref('tier.name')).toThrow(/"tier.name" is not a value of this chart/);
    expect(() => chart.values.items('tier')).toThrow(
      /the value "tier" is a string; this reference needs a array/,
    );
  });

  test('a value reference refuses arithmetic instead of computing a wrong number', () => {
    const chart = new HelmChart<Values>(new App(), 'c', { chart: chartMetadata, values });
    const replicas = chart.values.ref('replicas');
    expect(() => replicas + 1).toThrow(
      /\.Values\.replicas is a chart value reference: it has no value until the chart is rendered, so it cannot take part in arithmetic/,
    );
  });

  test('a map value that may set a key the map already has is refused until the schema reserves it', () => {
    const open = defineValues(
      Type.Object(
        {
          labels: Type.Unsafe<Record<string, string>>({
            type: 'object',
            description: 'Labels.',
            additionalProperties: { type: 'string' },
          }),
        },
        { additionalProperties: false },
      ),
      { labels: {} },
    );
    const chart = new HelmChart(new App(), 'c', { chart: chartMetadata, values: open });
    new KubeObject(
      chart,
      'cm',
      Kube.ConfigMap,
      { name: 'x', labels: { app: 'demo', ...chart.values.entries('labels') } },
      () => ({}),
    );
    expect(() => packageHelmChart(chart)).toThrow(
      /the value "labels" may set "app", which the map already has; reserve it in the values schema/,
    );
  });

  test('values that fail the schema are refused when the chart is built, naming each path', () => {
    expect(() => demo({ replicas: -1, tier: 3 })).toThrow(
      /Invalid values of chart "demo" \(2 problems\)[\s\S]*replicas: must be >= 0[\s\S]*tier: must be a string/,
    );
  });

  test('a hand-edited template with an action outside the language fails to render, naming file and line', () => {
    const files = {
      ...base,
      'templates/service.yaml': `${base['templates/service.yaml']}extra: {{ .Values.tier | upper }}\n`,
    };
    expect(() => renderHelmChart(files, { release: 'r', namespace: 'n' })).toThrow(TemplateError);
    expect(() => renderHelmChart(files, { release: 'r', namespace: 'n' })).toThrow(
      /templates\/service\.yaml:\d+: function "upper" is not part/,
    );
  });

  test('the standard values: global is accepted, names can be overridden', () => {
    const rendered = renderHelmChart(base, {
      release: 'r',
      namespace: 'n',
      values: { global: { any: ['thing'] }, fullnameOverride: 'x' },
    });
    expect(rendered.objects.map((o) => o.metadata.name)).toEqual(['x-settings', 'x']);
  });
});

const orders: ApiWithRedisSidecarProps = {
  api: { port: 3000, environment: { secrets: { TOKEN: 'token' } } },
  migration: { command: ['migrate'] },
};
const ordersDefaults = {
  image: { repository: 'ghcr.io/acme/orders', tag: '1.0.0' },
  replicaCount: 2,
  resources: {
    api: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
    redis: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '100m', memory: '96Mi' } },
  },
};
function ordersChart(workload: ApiWithRedisSidecarProps = orders) {
  const chart = new HelmChart(new App(), 'orders', {
    chart: { ...chartMetadata, name: 'orders' },
    values: apiWorkloadValues(workload, ordersDefaults),
  });
  return { chart, workload: new ApiWithRedisSidecar(chart, 'api', workload) };
}

describe('ApiWithRedisSidecar', () => {
  test('in any HelmChart: packaged, it renders what it synthesizes', () => {
    const { chart } = ordersChart();
    const { files, rendered } = renderPackagedChart(chart, { includeTests: true });
    expect(byKey(rendered.objects)).toEqual(byKey(synthesizeObjects(chart)));
    expect(files['templates/_helpers.tpl']).toContain('define "orders.fullname"');
    expect(find(rendered.objects, 'Deployment').metadata.name).toBe('orders');
  });

  test('outside a HelmChart it says why it cannot be', () => {
    expect(() => new ApiWithRedisSidecar(new Chart(new App(), 'plain'), 'api', orders)).toThrow(
      /plain\/api must be defined inside a HelmChart: its names follow the Helm release/,
    );
  });

  test('the sidecar’s URL comes from its port; a contradicting REDIS_URL is refused, naming both settings', () => {
    const { chart } = ordersChart({ ...orders, redis: { port: 6380 } });
    const env = find(synthesizeObjects(chart), 'ConfigMap').data;
    expect(env.REDIS_URL).toBe('redis://127.0.0.1:6380/0');
    expect(() =>
      ordersChart({
        ...orders,
        redis: { port: 6380 },
        api: { ...orders.api, environment: { config: { REDIS_URL: 'redis://127.0.0.1:6379/0' } } },
      }),
    ).toThrow(
      /api\.environment\.config\.REDIS_URL is "redis:\/\/127\.0\.0\.1:6379\/0", but the Redis sidecar listens at redis:\/\/127\.0\.0\.1:6380\/0 \(redis\.port 6380\)/,
    );
  });

  test.each<[string, ApiWithRedisSidecarProps, RegExp]>([
    [
      'the same port twice',
      { ...orders, redis: { port: 3000 } },
      /redis\.port \(3000\) must differ from api\.port \(3000\): both listen in the same pod/,
    ],
    [
      'liveness = readiness',
      { ...orders, api: { ...orders.api, healthPath: '/h', readyPath: '/h' } },
      /api\.readyPath \("\/h"\) must differ from api\.healthPath/,
    ],
    [
      'no time to drain',
      {
        ...orders,
        api: { ...orders.api, preStopSleepSeconds: 30, terminationGracePeriodSeconds: 30 },
      },
      /api\.terminationGracePeriodSeconds \(30\) must exceed api\.preStopSleepSeconds \(30\)/,
    ],
    [
      'maxmemory at the limit',
      { ...orders, redis: { maxMemoryMiB: 96 } },
      /redis\.maxMemoryMiB \(96\) must stay below the sidecar's memory limit \(resources\.redis\.limits\.memory 96Mi\)/,
    ],
    [
      'redis:latest',
      { ...orders, redis: { image: 'redis:latest' } },
      /redis\.image \("redis:latest"\) must not use the "latest" tag/,
    ],
    [
      'an untagged image',
      { ...orders, healthTest: { image: 'curlimages/curl' } },
      /healthTest\.image \("curlimages\/curl"\) must be pinned to a version tag or a digest/,
    ],
    [
      'a chart-owned label',
      { ...orders, labels: { 'app.kubernetes.io/name': 'x' } },
      /labels\.app\.kubernetes\.io\/name is set by the chart/,
    ],
    [
      'a variable twice',
      {
        ...orders,
        api: {
          ...orders.api,
          environment: { config: { TOKEN: 'x' }, secrets: { TOKEN: 'token' } },
        },
      },
      /TOKEN is both in api\.environment\.config and api\.environment\.secrets/,
    ],
  ])('refuses %s, saying why', (_name, workload, message) => {
    expect(() => ordersChart(workload)).toThrow(message);
  });

  test('a pinned digest is accepted', () => {
    expect(() =>
      ordersChart({ ...orders, redis: { image: `redis@sha256:${'a'.repeat(64)}` } }),
    ).not.toThrow();
  });
});
