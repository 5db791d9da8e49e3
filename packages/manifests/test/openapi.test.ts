import { resolveConfig } from '@fittech/shared';
import type { KubernetesObject } from '@fittech/manifests';
import { validateKubernetesObjects } from '@fittech/manifests/testing';
import { packaged, prodConfig, render, VALUE_VARIANTS, devConfig, type Json } from './fixtures';

/**
 * Every object the chart can render, for every value variant and both load
 * balancer modes, checked against the Kubernetes OpenAPI schemas by an
 * independent validator (kubernetes-models' compiled JSON schemas).
 */
describe('Kubernetes OpenAPI validation (kubernetes-models)', () => {
  const controllerConfig = resolveConfig({
    env: 'dev',
    overrides: { service: { loadBalancer: 'aws-load-balancer-controller' } },
  });
  const all: KubernetesObject[] = [];
  for (const config of [devConfig, prodConfig, controllerConfig]) {
    const { files } = packaged(config);
    for (const values of Object.values(VALUE_VARIANTS)) {
      all.push(...render(files, values, { release: config.kubernetes.releaseName }).objects);
    }
  }

  test('every rendered object is valid', () => {
    const report = validateKubernetesObjects(all);
    const kinds = [...new Set(all.map((o) => o.kind))].sort();
    console.info(
      `OpenAPI validation: ${report.checked} objects checked (${kinds.join(', ')}), ${report.problems.length} problems`,
    );
    expect(report.problems).toEqual([]);
    expect(report.checked).toBe(all.length);
    expect(kinds).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Job',
      'NetworkPolicy',
      'Pod',
      'PodDisruptionBudget',
      'PrometheusRule',
      'Secret',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
  });

  test("the Prometheus Operator's CRD schemas catch a bad ServiceMonitor and PrometheusRule", () => {
    const monitor = structuredClone(all.find((o) => o.kind === 'ServiceMonitor')!) as Json;
    const rule = structuredClone(all.find((o) => o.kind === 'PrometheusRule')!) as Json;
    monitor.spec.endpoints[0].interval = '30 seconds';
    monitor.spec.endpoints[0].scheme = 'ftp';
    delete monitor.spec.selector;
    rule.spec.groups[1].rules[0].for = '2 minutes';
    delete rule.spec.groups[0].name;
    expect(
      validateKubernetesObjects([monitor, rule])
        .problems.map((p) => `${p.object.split('/')[0]} ${p.path}`)
        .sort(),
    ).toEqual([
      'PrometheusRule /spec/groups/0',
      'PrometheusRule /spec/groups/1/rules/0/for',
      'ServiceMonitor /spec',
      'ServiceMonitor /spec/endpoints/0/interval',
      'ServiceMonitor /spec/endpoints/0/scheme',
    ]);
  });

  test('the validator knows native sidecars and catches real mistakes', () => {
    const deployment = structuredClone(all.find((o) => o.kind === 'Deployment')!) as Json;
    expect(deployment.spec.template.spec.initContainers[0].restartPolicy).toBe('Always');
    deployment.spec.template.spec.containers[0].ports[0].containerPort = '8000';
    deployment.spec.template.spec.initContainers[0].imagePullPolicy = 'Sometimes';
    delete deployment.spec.selector;
    const report = validateKubernetesObjects([deployment]);
    expect(report.problems.map((p) => p.path).sort()).toEqual([
      '/spec',
      '/spec/template/spec/containers/0/ports/0/containerPort',
      '/spec/template/spec/initContainers/0/imagePullPolicy',
    ]);
    expect(
      validateKubernetesObjects([
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
      ]).problems,
    ).toEqual([{ object: 'Widget/w', path: '', message: 'no schema for example.com/v1 Widget' }]);
  });
});
