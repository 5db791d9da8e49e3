import {
  API_IMAGE,
  API_ROLLOUT,
  APP_VERSION,
  REDIS_UID,
  apiEnvironmentManifest,
  commonLabels,
  resolveConfig,
  resourceNames,
  selectorLabels,
  terminationGracePeriodSeconds,
} from '@fittech/shared';
import {
  CHART_VERSION,
  renderHelmChart,
  synthesizeFitTechChart,
  synthesizeObjects,
  type KubernetesObject,
} from '@fittech/manifests';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  byKey,
  devConfig,
  find,
  packaged,
  prodConfig,
  VALUE_VARIANTS,
  type Json,
} from './fixtures';

const names = resourceNames(devConfig);
const artifacts = synthesizeFitTechChart(devConfig);
const manifestObjects = (files: Readonly<Record<string, string>>): KubernetesObject[] =>
  Object.keys(files)
    .sort()
    .flatMap((f) =>
      parseAllDocuments(files[f]!, { version: '1.1' }).map((d) => d.toJS() as KubernetesObject),
    );
const objects = manifestObjects(artifacts.manifests);
const deployment = find(objects, 'Deployment', names.deployment);
const pod = deployment.spec.template.spec;
const api = pod.containers[0];
const redis = pod.initContainers[0];

describe('the chart and the rendered manifests', () => {
  test('the chart has the files Helm expects, and one template per object', () => {
    expect(Object.keys(artifacts.chart).sort()).toEqual([
      '.helmignore',
      'Chart.yaml',
      'README.md',
      'templates/NOTES.txt',
      'templates/config-map.yaml',
      'templates/deployment.yaml',
      'templates/horizontal-pod-autoscaler.yaml',
      'templates/job.yaml',
      'templates/network-policy.yaml',
      'templates/pod-disruption-budget.yaml',
      `templates/secret-${names.secret}.yaml`,
      `templates/secret-${names.migrationJob}-secrets.yaml`,
      'templates/service-account.yaml',
      'templates/service.yaml',
      `templates/tests/${names.testPod}.yaml`,
      'values.schema.json',
      'values.yaml',
    ]);
  });

  test('Chart.yaml: apiVersion v2, the package version, the app version, Kubernetes >= 1.29', () => {
    const chartYaml = parseAllDocuments(artifacts.chart['Chart.yaml']!)[0]!.toJS();
    expect(chartYaml).toMatchObject({
      apiVersion: 'v2',
      name: 'fittech-api',
      type: 'application',
      version: CHART_VERSION,
      appVersion: APP_VERSION,
      kubeVersion: '>=1.29.0-0',
    });
    expect(CHART_VERSION).toBe(
      (
        JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
    );
  });

  test('rendering the chart with its values.yaml gives dist/manifests, object for object', () => {
    const rendered = renderHelmChart(artifacts.chart, {
      namespace: devConfig.kubernetes.namespace,
    });
    expect(byKey(rendered.objects)).toEqual(byKey(objects));
    // File by file, too: one manifest file per template that renders something.
    expect(Object.keys(artifacts.manifests).sort()).toEqual(
      Object.keys(rendered.files)
        .map((f) => f.replace(/^templates\//, ''))
        .sort(),
    );
  });

  test('the default render has no Secret, no HPA and no test Pod (helm template --skip-tests)', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      [
        `ConfigMap/${names.configMap}`,
        `Deployment/${names.deployment}`,
        `Job/${names.migrationJob}`,
        `NetworkPolicy/${names.networkPolicy}`,
        `PodDisruptionBudget/${names.podDisruptionBudget}`,
        `Service/${names.service}`,
        `ServiceAccount/${names.serviceAccount}`,
      ].sort(),
    );
    expect(objects.some((o) => o.kind === 'Namespace')).toBe(false);
  });

  test('every object is in the configured namespace in the manifests and the release namespace in the templates', () => {
    for (const o of objects) expect(o.metadata.namespace).toBe(devConfig.kubernetes.namespace);
    for (const [file, text] of Object.entries(artifacts.chart)) {
      if (file.endsWith('.yaml') && file.startsWith('templates/')) {
        expect(text).toContain('namespace: {{ .Release.Namespace | quote }}');
      }
    }
  });

  test('synthesis is deterministic: two runs give identical bytes', () => {
    expect(synthesizeFitTechChart(devConfig)).toEqual(artifacts);
  });

  test('templates are literal except for the deploy-time values', () => {
    const values = new Set<string>();
    for (const [file, text] of Object.entries(artifacts.chart)) {
      if (!file.startsWith('templates/')) continue;
      for (const m of text.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g))
        values.add(m[1]!.split('.')[0]!);
    }
    expect([...values].sort()).toEqual([
      'autoscaling',
      'image',
      'podAnnotations',
      'replicaCount',
      'resources',
      'secrets',
    ]);
    const text = artifacts.chart['templates/deployment.yaml']!;
    expect(text).toContain(`containerPort: ${devConfig.api.port}`);
    expect(text).toContain(`name: ${names.deployment}`);
  });
});

describe('the pod', () => {
  test('labels: the recommended set on every object, selectors from selectorLabels', () => {
    for (const o of objects) {
      const labels = o.metadata.labels as Record<string, string>;
      for (const key of ['name', 'instance', 'version', 'component', 'part-of', 'managed-by']) {
        expect(labels[`app.kubernetes.io/${key}`]).toBeDefined();
      }
    }
    expect(deployment.metadata.labels).toEqual(commonLabels(devConfig, 'api'));
    expect(deployment.spec.selector.matchLabels).toEqual(selectorLabels(devConfig));
    expect(deployment.spec.template.metadata.labels).toMatchObject(selectorLabels(devConfig));
    expect(find(objects, 'Service').spec.selector).toEqual(selectorLabels(devConfig));
    expect(find(objects, 'PodDisruptionBudget').spec.selector.matchLabels).toEqual(
      selectorLabels(devConfig),
    );
    expect(find(objects, 'NetworkPolicy').spec.podSelector.matchLabels).toEqual(
      selectorLabels(devConfig),
    );
    // The selector holds no label that changes between releases.
    expect(Object.keys(deployment.spec.selector.matchLabels)).not.toContain(
      'app.kubernetes.io/version',
    );
  });

  test('the migration Job and the test Pod are never selected by the API Service', () => {
    const { files } = packaged(devConfig);
    const all = renderHelmChart(files, { namespace: 'x', includeTests: true }).objects;
    const selector = selectorLabels(devConfig);
    const job = find(all, 'Job');
    const testPod = find(all, 'Pod', names.testPod);
    for (const labels of [job.spec.template.metadata.labels, testPod.metadata.labels]) {
      expect(Object.entries(selector).every(([k, v]) => labels[k] === v)).toBe(false);
    }
  });

  test('the api container: image, command, port, environment from the contract', () => {
    expect(api.name).toBe(names.containers.api);
    expect(api.image).toBe(`fittech-api:${devConfig.api.imageTag}`);
    expect(api.command).toEqual(API_IMAGE.command);
    expect(api.workingDir).toBe(API_IMAGE.workingDir);
    expect(api.ports).toEqual([
      { name: names.portNames.http, containerPort: devConfig.api.port, protocol: 'TCP' },
    ]);
    const contract = apiEnvironmentManifest(devConfig);
    const env = Object.fromEntries(api.env.map((e: Json) => [e.name, e.valueFrom]));
    expect(Object.keys(env).sort()).toEqual(
      [...Object.keys(contract.configMap), ...Object.keys(contract.secretKeys)].sort(),
    );
    const configMap = find(objects, 'ConfigMap', names.configMap);
    expect(configMap.data).toEqual(contract.configMap);
    for (const name of Object.keys(contract.configMap)) {
      expect(env[name]).toEqual({ configMapKeyRef: { name: names.configMap, key: name } });
    }
    for (const [name, key] of Object.entries(contract.secretKeys)) {
      expect(env[name]).toEqual({ secretKeyRef: { name: names.secret, key } });
    }
  });

  test('probes: liveness and startup on the health path, readiness on the ready path, by port name', () => {
    expect(api.livenessProbe.httpGet).toEqual({
      path: devConfig.api.healthPath,
      port: 'http',
      scheme: 'HTTP',
    });
    expect(api.startupProbe.httpGet).toEqual({
      path: devConfig.api.healthPath,
      port: 'http',
      scheme: 'HTTP',
    });
    expect(api.readinessProbe.httpGet).toEqual({
      path: devConfig.api.readyPath,
      port: 'http',
      scheme: 'HTTP',
    });
    expect(api.livenessProbe).not.toEqual(api.readinessProbe);
  });

  test('shutdown: a preStop sleep, and a grace period that covers it and the drain', () => {
    expect(api.lifecycle.preStop.exec.command).toEqual([
      'sleep',
      String(devConfig.api.preStopSleepSeconds),
    ]);
    expect(pod.terminationGracePeriodSeconds).toBe(terminationGracePeriodSeconds(devConfig));
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(
      devConfig.api.preStopSleepSeconds + devConfig.api.shutdownTimeoutSeconds,
    );
  });

  test('redis is a native sidecar: loopback only, no persistence, LRU with maxmemory, exec probe', () => {
    expect(pod.initContainers).toHaveLength(1);
    expect(redis.name).toBe(names.containers.redis);
    expect(redis.restartPolicy).toBe('Always');
    expect(redis.image).toBe(devConfig.redis.image);
    const args: string[] = redis.args;
    const arg = (flag: string) => args[args.indexOf(flag) + 1];
    expect(arg('--bind')).toBe('127.0.0.1');
    expect(arg('--port')).toBe(String(devConfig.redis.port));
    expect(arg('--save')).toBe('');
    expect(arg('--appendonly')).toBe('no'); // a string: YAML 1.1 would read a plain `no` as false
    expect(arg('--maxmemory')).toBe(`${devConfig.redis.maxMemoryMiB}mb`);
    expect(arg('--maxmemory-policy')).toBe('allkeys-lru');
    expect(arg('--protected-mode')).toBe('yes');
    expect(redis.livenessProbe.exec.command).toEqual([
      'redis-cli',
      '-h',
      '127.0.0.1',
      '-p',
      String(devConfig.redis.port),
      'ping',
    ]);
    expect(redis.startupProbe.exec.command).toEqual(redis.livenessProbe.exec.command);
    expect(redis.readinessProbe).toBeUndefined(); // a cache outage must not take the pod out of the Service
    expect(redis.volumeMounts).toEqual([{ name: 'redis-data', mountPath: '/data' }]);
    expect(pod.volumes.find((v: Json) => v.name === 'redis-data').emptyDir).toBeDefined();
  });

  test('every container meets PSS restricted with a read-only root and writable emptyDirs', () => {
    const { files } = packaged(devConfig);
    const all = renderHelmChart(files, { namespace: 'x', includeTests: true }).objects;
    const pods = all.flatMap((o: Json) =>
      o.kind === 'Pod' ? [o.spec] : o.spec?.template?.spec ? [o.spec.template.spec] : [],
    );
    expect(pods).toHaveLength(3); // the API, the migration Job, the test Pod
    for (const spec of pods) {
      expect(spec.securityContext).toEqual({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(spec.automountServiceAccountToken).toBe(false);
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(c.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        });
        expect(c.securityContext.runAsUser).toBeGreaterThan(0);
        for (const m of c.volumeMounts) {
          expect(spec.volumes.find((v: Json) => v.name === m.name).emptyDir).toBeDefined();
        }
      }
    }
    expect(api.securityContext.runAsUser).toBe(API_IMAGE.uid);
    expect(redis.securityContext.runAsUser).toBe(REDIS_UID);
    expect(api.volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });

  test('resources: requests and limits from the config on both containers', () => {
    expect(api.resources).toEqual(devConfig.api.resources);
    expect(redis.resources).toEqual(devConfig.redis.resources);
  });

  test('rollout never drops below the replica count, and pods spread over zones and nodes', () => {
    expect(deployment.spec.replicas).toBe(devConfig.api.replicas);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: API_ROLLOUT });
    expect(pod.topologySpreadConstraints.map((t: Json) => t.topologyKey)).toEqual([
      'topology.kubernetes.io/zone',
      'kubernetes.io/hostname',
    ]);
    for (const t of pod.topologySpreadConstraints)
      expect(t.labelSelector.matchLabels).toEqual(selectorLabels(devConfig));
    expect(find(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });
});

describe('the other objects', () => {
  test('ServiceAccount: no token', () => {
    expect(find(objects, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(pod.serviceAccountName).toBe(names.serviceAccount);
  });

  test('Service: an NLB on the service port to the named API port; never the Redis port', () => {
    const service = find(objects, 'Service');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports).toEqual([
      { name: 'http', port: devConfig.service.port, targetPort: 'http', protocol: 'TCP' },
    ]);
    expect(service.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
    });
    expect(service.spec.loadBalancerClass).toBeUndefined();
    expect(service.spec.externalTrafficPolicy).toBe('Cluster');
    expect(JSON.stringify(service)).not.toContain(String(devConfig.redis.port));
  });

  test('Service: the AWS Load Balancer Controller option', () => {
    const config = resolveConfig({
      env: 'dev',
      overrides: {
        service: { loadBalancer: 'aws-load-balancer-controller', targetType: 'instance' },
      },
    });
    const service = find(manifestObjects(synthesizeFitTechChart(config).manifests), 'Service');
    expect(service.spec.loadBalancerClass).toBe('service.k8s.aws/nlb');
    expect(service.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'instance',
    });
  });

  test('NetworkPolicy: ingress only to the API port', () => {
    const policy = find(objects, 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([{ ports: [{ protocol: 'TCP', port: 'http' }] }]);
  });

  test('the migration hook Job: migrate command, same image and environment, bounded', () => {
    const job = find(objects, 'Job', names.migrationJob);
    expect(job.metadata.annotations).toEqual({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
      'helm.sh/hook-weight': '0',
    });
    expect(job.spec.backoffLimit).toBeGreaterThanOrEqual(0);
    expect(job.spec.activeDeadlineSeconds).toBeGreaterThan(0);
    const c = job.spec.template.spec.containers[0];
    expect(c.name).toBe(names.containers.migrate);
    expect(c.command).toEqual(API_IMAGE.migrateCommand);
    expect(c.image).toBe(api.image);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
    // Same variables; config values inline (the ConfigMap does not exist before the first install).
    const contract = apiEnvironmentManifest(devConfig);
    const env = Object.fromEntries(c.env.map((e: Json) => [e.name, e]));
    for (const [name, value] of Object.entries(contract.configMap))
      expect(env[name].value).toBe(value);
    for (const [name, key] of Object.entries(contract.secretKeys)) {
      expect(env[name].valueFrom.secretKeyRef).toEqual({ name: names.secret, key });
    }
  });

  test('with inline secrets: a Secret for the pods and a hook Secret the Job reads first', () => {
    const { files } = packaged(devConfig);
    const rendered = renderHelmChart(files, {
      namespace: 'x',
      values: VALUE_VARIANTS['inline secrets'],
    }).objects;
    const secret = find(rendered, 'Secret', names.secret);
    const hookSecret = find(rendered, 'Secret', `${names.migrationJob}-secrets`);
    for (const s of [secret, hookSecret]) {
      expect(s.stringData).toEqual({
        'database-url': (VALUE_VARIANTS['inline secrets'] as Json).secrets.databaseUrl,
        'secret-key': (VALUE_VARIANTS['inline secrets'] as Json).secrets.secretKey,
      });
    }
    expect(hookSecret.metadata.annotations['helm.sh/hook-weight']).toBe('-5');
    expect(secret.metadata.annotations).toBeUndefined();
    const job = find(rendered, 'Job');
    expect(
      job.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'DATABASE_URL')
        .valueFrom.secretKeyRef.name,
    ).toBe(hookSecret.metadata.name);
    const dep = find(rendered, 'Deployment');
    expect(
      dep.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'DATABASE_URL')
        .valueFrom.secretKeyRef.name,
    ).toBe(names.secret);
    // Secret values change the pod template, so pods roll when a secret changes.
    const defaults = find(renderHelmChart(files, { namespace: 'x' }).objects, 'Deployment');
    expect(dep.spec.template.metadata.annotations['checksum/secrets']).not.toBe(
      defaults.spec.template.metadata.annotations['checksum/secrets'],
    );
  });

  test('the helm test Pod calls the health path through the Service with a pinned image', () => {
    const { files } = packaged(devConfig);
    const testPod = find(
      renderHelmChart(files, { namespace: 'x', includeTests: true }).objects,
      'Pod',
      names.testPod,
    );
    expect(testPod.metadata.annotations['helm.sh/hook']).toBe('test');
    const c = testPod.spec.containers[0];
    expect(c.image).toMatch(/^curlimages\/curl:\d+\.\d+\.\d+$/);
    expect(c.command.at(-1)).toBe(
      `http://${names.service}:${devConfig.service.port}${devConfig.api.healthPath}`,
    );
    expect(testPod.spec.restartPolicy).toBe('Never');
  });

  test('NOTES.txt tells how to get the load balancer hostname and health-check it', () => {
    const notes = renderHelmChart(artifacts.chart, { namespace: 'fittech' }).notes;
    expect(notes).toContain(`get service ${names.service}`);
    expect(notes).toContain('.status.loadBalancer.ingress[0].hostname');
    expect(notes).toContain(`curl --fail`);
    expect(notes).toContain(`:${devConfig.service.port}${devConfig.api.healthPath}`);
    expect(notes).toContain(`existing Secret "${names.secret}"`);
  });

  test('prod differs in sizes, not in the shape of names', () => {
    const prod = manifestObjects(synthesizeFitTechChart(prodConfig).manifests);
    expect(prod.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    );
    expect(find(prod, 'Deployment').spec.replicas).toBe(prodConfig.api.replicas);
  });
});

describe('templates render what the construct synthesizes, for any values', () => {
  const base = packaged(devConfig).files;
  test.each(Object.entries(VALUE_VARIANTS))('%s', (_, overrides) => {
    const { chart, files } = packaged(devConfig, overrides);
    // The templates do not depend on the values the chart was built with…
    expect(files).toEqual(base);
    // …and rendering them with those values gives exactly what the construct synthesizes for them.
    const rendered = renderHelmChart(base, {
      namespace: devConfig.kubernetes.namespace,
      values: overrides,
      includeTests: true,
    });
    expect(byKey(rendered.objects)).toEqual(byKey(synthesizeObjects(chart)));
  });

  test('autoscaling: the HPA appears and the Deployment leaves replicas to it', () => {
    const rendered = renderHelmChart(base, {
      namespace: 'x',
      values: VALUE_VARIANTS.autoscaling,
    }).objects;
    const hpa = find(rendered, 'HorizontalPodAutoscaler');
    expect(hpa.spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 9,
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.deployment },
    });
    expect(hpa.spec.metrics[0].containerResource).toEqual({
      name: 'cpu',
      container: 'api',
      target: { type: 'Utilization', averageUtilization: 60 },
    });
    expect(find(rendered, 'Deployment').spec.replicas).toBeUndefined();
  });

  test('a digest pins the image instead of the tag, in the Deployment and the Job', () => {
    const rendered = renderHelmChart(base, {
      namespace: 'x',
      values: VALUE_VARIANTS.digest,
    }).objects;
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/fittech-api@sha256:${'ab'.repeat(32)}`;
    expect(find(rendered, 'Deployment').spec.template.spec.containers[0].image).toBe(image);
    expect(find(rendered, 'Job').spec.template.spec.containers[0].image).toBe(image);
  });

  test('podAnnotations are added next to the checksums', () => {
    const rendered = renderHelmChart(base, {
      namespace: 'x',
      values: VALUE_VARIANTS['resources and annotations'],
    }).objects;
    const annotations = find(rendered, 'Deployment').spec.template.metadata.annotations;
    expect(annotations).toMatchObject(
      (VALUE_VARIANTS['resources and annotations'] as Json).podAnnotations,
    );
    expect(Object.keys(annotations)).toEqual(
      expect.arrayContaining(['checksum/config', 'checksum/secrets']),
    );
  });
});
