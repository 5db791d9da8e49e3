import type { KubernetesObject } from '@fittech/manifests';
import { policyProblems, POLICY_RULES } from '@fittech/manifests/testing';
import {
  devConfig,
  names,
  packaged,
  render as renderChart,
  VALUE_VARIANTS,
  type Json,
} from './fixtures';

const { files } = packaged(devConfig);
const render = (values: unknown = {}) => renderChart(files, values).objects as Json[];

/** Variants in which the deployer replaces the default spread over nodes (the check then says so). */
const WITHOUT_NODE_SPREAD = ['scheduling', 'no spread, pull secrets, extra env, labels'];

describe('policy checks (kube-score and kube-linter defaults that apply, PSS restricted)', () => {
  test.each(Object.entries(VALUE_VARIANTS).filter(([name]) => !WITHOUT_NODE_SPREAD.includes(name)))(
    'the chart passes every check: %s',
    (_, values) => {
      expect(policyProblems(render(values))).toEqual([]);
    },
  );

  test.each(WITHOUT_NODE_SPREAD)(
    'a deployer may give up the spread over nodes, and the check says so: %s',
    (name) => {
      expect(policyProblems(render(VALUE_VARIANTS[name]))).toEqual([
        {
          rule: 'spread',
          object: `Deployment/${names.deployment}`,
          message: 'pods are not spread over nodes',
        },
      ]);
    },
  );

  const broken: [string, (objects: Json[]) => void][] = [
    [
      'container-resources',
      (o) => delete dep(o).spec.template.spec.initContainers[0].resources.limits,
    ],
    ['image-pinned', (o) => (dep(o).spec.template.spec.containers[0].image = 'fittech-api:latest')],
    [
      'image-pinned',
      (o) => (dep(o).spec.template.spec.containers[0].image = 'registry:5000/fittech-api'),
    ],
    [
      'probes',
      (o) =>
        (dep(o).spec.template.spec.containers[0].readinessProbe =
          dep(o).spec.template.spec.containers[0].livenessProbe),
    ],
    ['probes', (o) => delete dep(o).spec.template.spec.initContainers[0].livenessProbe],
    [
      'run-as-non-root',
      (o) => (dep(o).spec.template.spec.containers[0].securityContext.runAsUser = 0),
    ],
    [
      'read-only-root-fs',
      (o) =>
        (kind(o, 'Job').spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem =
          false),
    ],
    [
      'restricted',
      (o) => (kind(o, 'Pod').spec.containers[0].securityContext.capabilities = { drop: [] }),
    ],
    ['restricted', (o) => (dep(o).spec.template.spec.hostNetwork = true)],
    [
      'no-service-account-token',
      (o) => delete dep(o).spec.template.spec.automountServiceAccountToken,
    ],
    ['pod-disruption-budget', (o) => (kind(o, 'PodDisruptionBudget').spec.maxUnavailable = 0)],
    ['pod-disruption-budget', (o) => o.splice(o.indexOf(kind(o, 'PodDisruptionBudget')), 1)],
    ['spread', (o) => (dep(o).spec.template.spec.topologySpreadConstraints = [])],
    // matchLabelKeys without a labelSelector: Kubernetes refuses it, and it selects nothing.
    [
      'spread',
      (o) =>
        dep(o).spec.template.spec.topologySpreadConstraints.forEach(
          (t: Json) => delete t.labelSelector,
        ),
    ],
    [
      'network-policy',
      (o) => (kind(o, 'NetworkPolicy').spec.podSelector.matchLabels = { app: 'other' }),
    ],
    ['service-targets-pod', (o) => (kind(o, 'Service').spec.ports[0].targetPort = 'redis-typo')],
    [
      'service-targets-pod',
      (o) =>
        (kind(o, 'Job').spec.template.metadata.labels = {
          ...dep(o).spec.template.metadata.labels,
        }),
    ],
    ['selector-matches-template', (o) => (dep(o).spec.selector.matchLabels = { app: 'x' })],
    [
      'no-duplicate-env',
      (o) => dep(o).spec.template.spec.containers[0].env.push({ name: 'PORT', value: '1' }),
    ],
    [
      'no-secret-in-env',
      (o) =>
        (kind(o, 'Job').spec.template.spec.containers[0].env.find(
          (e: Json) => e.name === 'SECRET_KEY',
        ).value = 'x'),
    ],
  ];
  const dep = (o: Json[]) => kind(o, 'Deployment');
  const kind = (o: Json[], k: string) => o.find((x) => x.kind === k);

  test.each(broken)('catches a violation of %s', (rule, breakIt) => {
    const objects = render();
    breakIt(objects);
    expect(policyProblems(objects as KubernetesObject[]).map((p) => p.rule)).toContain(rule);
  });

  test('HPA rules: replicas are left to the HPA, and the HPA has a target', () => {
    const withReplicas = render(VALUE_VARIANTS.autoscaling);
    withReplicas.find((o) => o.kind === 'Deployment').spec.replicas = 3;
    expect(
      policyProblems(withReplicas)
        .filter((p) => p.rule === 'hpa-target')
        .map((p) => p.object),
    ).toEqual([`Deployment/${names.deployment}`]);
    const dangling = render(VALUE_VARIANTS.autoscaling);
    dangling.find((o) => o.kind === 'HorizontalPodAutoscaler').spec.scaleTargetRef.name = 'gone';
    expect(
      policyProblems(dangling)
        .filter((p) => p.rule === 'hpa-target')
        .map((p) => p.object),
    ).toEqual([`HorizontalPodAutoscaler/${names.horizontalPodAutoscaler}`]);
  });

  test('every rule has a test that makes it fire', () => {
    const covered = new Set([...broken.map(([rule]) => rule), 'hpa-target']);
    expect(POLICY_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });
});
