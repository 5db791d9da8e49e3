import { Type } from '@sinclair/typebox';
import { ApiObject, App, Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import {
  ApiWithRedisSidecar,
  apiWorkloadValues,
  defineValues,
  Helm,
  HelmChart,
  packageHelmChart,
  renderHelmChart,
  renderPackagedChart,
  synthesizeObjects,
  TemplateError,
} from '@fittech/manifests';
import { byKey, find } from './fixtures';

const metadata = {
  name: 'demo',
  version: '1.2.3',
  appVersion: '4.5.6',
  description: 'A demo chart.',
};
const k8s = kplus.k8s;

describe('packaging any cdk8s chart', () => {
  test('a plain Chart becomes a chart without values that renders the same objects', () => {
    const chart = new Chart(new App(), 'plain', { namespace: 'demo' });
    new kplus.ConfigMap(chart, 'cm', { metadata: { name: 'settings' }, data: { MODE: 'no' } });
    new k8s.KubeService(chart, 'svc', {
      metadata: { name: 'web' },
      spec: { ports: [{ port: 80 }] },
    });
    const { files, rendered } = renderPackagedChart(chart, { metadata });
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        'Chart.yaml',
        'values.yaml',
        'values.schema.json',
        'templates/config-map.yaml',
        'templates/service.yaml',
      ]),
    );
    expect(byKey(rendered.objects)).toEqual(byKey(synthesizeObjects(chart)));
    expect(find(rendered.objects, 'ConfigMap').data.MODE).toBe('no');
    expect(files['templates/service.yaml']).toContain(
      'namespace: {{ .Release.Namespace | quote }}',
    );
  });

  const values = defineValues(
    Type.Object(
      {
        replicas: Type.Integer({ description: 'Replicas.', minimum: 0 }),
        labels: Type.Object(
          { tier: Type.String({ description: 'Tier label.' }) },
          { additionalProperties: false, description: 'Labels' },
        ),
        debug: Type.Boolean({ description: 'Debug mode.' }),
      },
      { additionalProperties: false },
    ),
    { replicas: 1, labels: { tier: 'web' }, debug: false },
  );

  type Values = typeof values.defaults;
  function chartWith(build: (chart: HelmChart<Values>) => void) {
    const chart = new HelmChart<Values>(new App(), 'c', { values, namespace: 'n' });
    build(chart);
    return chart;
  }

  test('bindings become template expressions that render the values', () => {
    const chart = chartWith((c) => {
      const d = new k8s.KubeConfigMap(c, 'cm', {
        metadata: { name: 'cm', labels: c.values.labels },
        data: { replicas: String(c.values.replicas) },
      });
      c.bindValue(d, '/metadata/labels', Helm.yaml('labels'));
      const debug = new k8s.KubeConfigMap(c, 'debug', {
        metadata: { name: 'debug' },
        data: { on: 'yes' },
      });
      c.includeObjectWhen(debug, Helm.when('debug'));
    });
    const files = packageHelmChart(chart, { metadata });
    expect(files['templates/config-map-cm.yaml']).toContain(
      '{{- toYaml .Values.labels | nindent 4 }}',
    );
    expect(files['templates/config-map-debug.yaml']).toContain('{{- if .Values.debug }}');
    const rendered = renderHelmChart(files, {
      namespace: 'n',
      values: { labels: { tier: 'api' }, debug: true },
    }).objects;
    expect(find(rendered, 'ConfigMap', 'cm').metadata.labels).toEqual({ tier: 'api' });
    expect(find(rendered, 'ConfigMap', 'debug').data.on).toBe('yes');
  });

  test('a binding that does not describe what the construct wrote fails the build', () => {
    const chart = chartWith((c) => {
      const d = new k8s.KubeDeployment(c, 'd', {
        metadata: { name: 'd' },
        spec: {
          replicas: 5,
          selector: { matchLabels: { a: 'b' } },
          template: {
            metadata: { labels: { a: 'b' } },
            spec: { containers: [{ name: 'x', image: 'x:1' }] },
          },
        },
      });
      c.bindValue(d, '/spec/replicas', Helm.value('replicas'));
    });
    expect(() => packageHelmChart(chart, { metadata })).toThrow(
      /Deployment\/d \/spec\/replicas: the construct wrote 5, but the binding renders 1 for the chart's values/,
    );
  });

  test('bindings are checked against the values definition', () => {
    const unknownValue = chartWith((c) => {
      const o = new k8s.KubeConfigMap(c, 'cm', { metadata: { name: 'cm' }, data: { a: 'web' } });
      c.bindValue(o, '/data/a', Helm.value('labels.team'));
    });
    expect(() => packageHelmChart(unknownValue, { metadata })).toThrow(
      /"labels.team" is not a value of this chart/,
    );
    const objectAsScalar = chartWith((c) => {
      const o = new ApiObject(c, 'x', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'x' },
        data: { tier: 'web' },
      });
      c.bindValue(o, '/data', Helm.value('labels'));
    });
    expect(() => packageHelmChart(objectAsScalar, { metadata })).toThrow(
      /"labels" is a object; bind it with Helm.yaml\(\)/,
    );
    const missingField = chartWith((c) => {
      const o = new k8s.KubeConfigMap(c, 'cm', { metadata: { name: 'cm' } });
      c.bindValue(o, '/data/nothing', Helm.value('replicas'));
    });
    expect(() => packageHelmChart(missingField, { metadata })).toThrow(
      /\/data\/nothing: no such field/,
    );
  });

  test('values that fail the schema are refused when the chart is built', () => {
    expect(
      () => new HelmChart(new App(), 'c', { values, valueOverrides: { replicas: -1 } }),
    ).toThrow(/replicas: must be >= 0/);
  });

  test('a hand-edited template with another action fails to render, naming file and line', () => {
    const chart = new Chart(new App(), 'plain');
    new kplus.ConfigMap(chart, 'cm', { metadata: { name: 'settings' }, data: { A: 'b' } });
    const files = { ...packageHelmChart(chart, { metadata }) };
    files['templates/config-map.yaml'] += 'extra: {{ .Values.a | default "x" }}\n';
    expect(() => renderHelmChart(files, { namespace: 'n' })).toThrow(TemplateError);
    expect(() => renderHelmChart(files, { namespace: 'n' })).toThrow(
      /^templates\/config-map\.yaml:\d+: unsupported template action/,
    );
  });
});

describe('ApiWithRedisSidecar', () => {
  const workloadValues = apiWorkloadValues({
    image: { repository: 'ghcr.io/acme/orders', tag: '2.3.4' },
    replicaCount: 2,
    resources: {
      api: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '200m', memory: '128Mi' } },
      redis: { requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '50m', memory: '64Mi' } },
    },
    secrets: { apiToken: { description: 'Token of the payment provider.' } },
    secretName: 'orders-secrets',
  });
  const props = {
    name: 'orders',
    selectorLabels: { 'app.kubernetes.io/name': 'orders' },
    api: {
      port: 3000,
      environment: { config: { MODE: 'live' }, secrets: { API_TOKEN: 'api-token' } },
    },
    migration: { command: ['./migrate'] },
  };

  test('in a plain Chart it synthesizes its values: no HPA or Secret unless asked for', () => {
    const chart = new Chart(new App(), 'plain');
    new ApiWithRedisSidecar(chart, 'orders', { ...props, values: workloadValues.defaults });
    const kinds = synthesizeObjects(chart)
      .map((o) => o.kind)
      .sort();
    expect(kinds).toEqual([
      'ConfigMap',
      'Deployment',
      'Job',
      'NetworkPolicy',
      'Pod',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
    ]);

    const scaled = new Chart(new App(), 'scaled');
    new ApiWithRedisSidecar(scaled, 'orders', {
      ...props,
      values: {
        ...workloadValues.defaults,
        autoscaling: { ...workloadValues.defaults.autoscaling, enabled: true },
        secrets: { apiToken: 't', existingSecret: 'orders-secrets' },
      },
    });
    const objects = synthesizeObjects(scaled);
    expect(find(objects, 'HorizontalPodAutoscaler').spec.maxReplicas).toBe(4);
    expect(find(objects, 'Deployment').spec.replicas).toBeUndefined();
    expect(find(objects, 'Secret', 'orders-secrets').stringData).toEqual({ 'api-token': 't' });
  });

  test('its values live anywhere in a chart’s values (valuesPath)', () => {
    const combined = defineValues(
      Type.Object({ orders: workloadValues.schema }, { additionalProperties: false }),
      { orders: workloadValues.defaults } as never,
    );
    const chart = new HelmChart(new App(), 'c', { values: combined, namespace: 'shop' });
    new ApiWithRedisSidecar(chart, 'orders', { ...props, valuesPath: 'orders' });
    const files = packageHelmChart(chart, { metadata });
    expect(files['templates/deployment.yaml']).toContain('{{ .Values.orders.image.repository }}');
    const rendered = renderHelmChart(files, {
      namespace: 'shop',
      values: { orders: { replicaCount: 4 } },
    }).objects;
    expect(find(rendered, 'Deployment').spec.replicas).toBe(4);
  });

  test('refuses settings that cannot work, saying why', () => {
    const chart = () => new Chart(new App(), 'c');
    expect(
      () =>
        new ApiWithRedisSidecar(chart(), 'x', {
          ...props,
          api: { port: 3000, healthPath: '/h', readyPath: '/h' },
          values: workloadValues.defaults,
        }),
    ).toThrow(/readyPath must differ from api.healthPath/);
    expect(
      () =>
        new ApiWithRedisSidecar(chart(), 'x', {
          ...props,
          api: { port: 6379 },
          values: workloadValues.defaults,
        }),
    ).toThrow(/redis.port must differ from api.port/);
    expect(
      () =>
        new ApiWithRedisSidecar(chart(), 'x', {
          ...props,
          api: { port: 3000, preStopSleepSeconds: 30, terminationGracePeriodSeconds: 20 },
          values: workloadValues.defaults,
        }),
    ).toThrow(/must exceed api.preStopSleepSeconds/);
    expect(
      () =>
        new ApiWithRedisSidecar(chart(), 'x', {
          ...props,
          selectorLabels: { app: 'orders' },
          values: workloadValues.defaults,
        }),
    ).toThrow(/would match the API's selector/);
    expect(() => new ApiWithRedisSidecar(chart(), 'x', { ...props })).toThrow(/pass "values"/);
    expect(
      () =>
        new ApiWithRedisSidecar(chart(), 'x', {
          ...props,
          redis: { maxMemoryMiB: 64 },
          values: workloadValues.defaults,
        }),
    ).toThrow(/redis.maxMemoryMiB \(64\) must stay below the sidecar's memory limit \(64Mi\)/);
    expect(
      () =>
        new ApiWithRedisSidecar(chart(), 'x', {
          ...props,
          api: { port: 3000, environment: { secrets: { OTHER: 'other-token' } } },
          values: workloadValues.defaults,
        }),
    ).toThrow(/no secrets.otherToken/);
  });
});
