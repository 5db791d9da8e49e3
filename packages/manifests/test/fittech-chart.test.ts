import {
  API_IMAGE,
  API_ROLLOUT,
  APP_VERSION,
  REDIS_UID,
  apiEnvironmentManifest,
  autoscalingMaxReplicas,
  isProductionEnvironment,
  resolveConfig,
  selectorLabels,
  terminationGracePeriodSeconds,
} from '@fittech/shared';
import { CHART_VERSION, synthesizeFitTechChart, type KubernetesObject } from '@fittech/manifests';
import { synthesizeObjects } from '@fittech/manifests/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import {
  byKey,
  devConfig,
  find,
  fitTechChart,
  names,
  packaged,
  prodConfig,
  render,
  VALUE_VARIANTS,
  type Json,
} from './fixtures';
import project from '../../../fittech.config';

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
      'templates/_helpers.tpl',
      'templates/config-map.yaml',
      'templates/deployment.yaml',
      'templates/horizontal-pod-autoscaler.yaml',
      'templates/job.yaml',
      'templates/network-policy.yaml',
      'templates/pod-disruption-budget.yaml',
      'templates/prometheus-rule.yaml',
      'templates/secret-migration-secret.yaml',
      'templates/secret-secret.yaml',
      'templates/service-account-migration-service-account.yaml',
      'templates/service-account-service-account.yaml',
      'templates/service-metrics-service.yaml',
      'templates/service-monitor.yaml',
      'templates/service-service.yaml',
      'templates/tests/health-test.yaml',
      'values.schema.json',
      'values.yaml',
    ]);
  });

  test('Chart.yaml: apiVersion v2, the package version, the app version, Kubernetes >= 1.29, an icon', () => {
    const chartYaml = parseAllDocuments(artifacts.chart['Chart.yaml']!)[0]!.toJS();
    expect(chartYaml).toMatchObject({
      apiVersion: 'v2',
      name: names.chart,
      type: 'application',
      version: CHART_VERSION,
      appVersion: APP_VERSION,
      kubeVersion: '>=1.29.0-0',
    });
    expect(chartYaml.icon).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(Buffer.from(chartYaml.icon.split(',')[1], 'base64').toString()).toMatch(/^<svg /);
    expect(CHART_VERSION).toBe(
      (
        JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as {
          version: string;
        }
      ).version,
    );
  });

  test('rendering the chart for the configured release with its values.yaml gives dist/manifests, object for object', () => {
    const rendered = render(artifacts.chart, undefined, { includeTests: false });
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
        `ServiceAccount/${names.migrationServiceAccount}`,
      ].sort(),
    );
    expect(objects.some((o) => o.kind === 'Namespace')).toBe(false);
  });

  test('every object is in the configured namespace in the manifests and the release namespace in the templates', () => {
    for (const o of objects) expect(o.metadata.namespace).toBe(devConfig.kubernetes.namespace);
    for (const [file, text] of Object.entries(artifacts.chart)) {
      if (file.endsWith('.yaml') && file.startsWith('templates/')) {
        // The Prometheus Operator's objects may go to the operator's namespace (a chart value).
        expect(text).toMatch(
          /namespace: (\{\{ if \.Values\.metrics\.[a-zA-Z]+\.namespace \}\}\{\{ \.Values\.metrics\.[a-zA-Z]+\.namespace \| quote \}\}\{\{ else \}\})?\{\{ \.Release\.Namespace \| quote \}\}/,
        );
        // Names follow the release: no object name is spelled in a template.
        expect(text).toMatch(
          /\n {2}name: \{\{ include "fittech\.fullname(\.[a-z-]+)?" \. \| quote \}\}\n/,
        );
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
      'affinity',
      'autoscaling',
      'extraEnv',
      'fullnameOverride',
      'image',
      'imagePullSecrets',
      'metrics',
      'nameOverride',
      'nodeSelector',
      'podAnnotations',
      'podLabels',
      'priorityClassName',
      'replicaCount',
      'resources',
      'secrets',
      'service',
      'tolerations',
      'topologySpreadConstraints',
    ]);
    const text = artifacts.chart['templates/deployment.yaml']!;
    expect(text).toContain(`containerPort: ${devConfig.api.port}`);
    expect(text).toContain(`path: ${devConfig.api.healthPath}`);
  });
});

describe('the pod', () => {
  test('labels: the recommended set on every object, selectors from selectorLabels', () => {
    for (const o of objects) {
      const labels = o.metadata.labels as Record<string, string>;
      for (const key of ['name', 'instance', 'version', 'component', 'part-of', 'managed-by']) {
        expect(labels[`app.kubernetes.io/${key}`]).toBeDefined();
      }
      expect(labels['helm.sh/chart']).toBe(`${names.chart}-${CHART_VERSION}`);
    }
    expect(deployment.metadata.labels).toEqual({
      ...selectorLabels(devConfig),
      'helm.sh/chart': `${names.chart}-${CHART_VERSION}`,
      'app.kubernetes.io/version': APP_VERSION,
      'app.kubernetes.io/part-of': devConfig.project,
      'app.kubernetes.io/managed-by': 'Helm',
    });
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
    const all = render(files).objects;
    const selector = selectorLabels(devConfig);
    const job = find(all, 'Job');
    const testPod = find(all, 'Pod', names.testPod);
    for (const labels of [job.spec.template.metadata.labels, testPod.metadata.labels]) {
      expect(Object.entries(selector).every(([k, v]) => labels[k] === v)).toBe(false);
    }
  });

  test('the api container: image, command, port, environment from the contract', () => {
    expect(api.name).toBe(names.containers.api);
    expect(api.image).toBe(`${devConfig.project}-api:${devConfig.api.imageTag}`);
    expect(api.command).toEqual(API_IMAGE.command);
    expect(api.workingDir).toBe(API_IMAGE.workingDir);
    expect(api.ports).toEqual([
      { name: names.portNames.http, containerPort: devConfig.api.port, protocol: 'TCP' },
      { name: names.portNames.metrics, containerPort: devConfig.api.metricsPort, protocol: 'TCP' },
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

  test('probes: liveness and startup on the health path, readiness on the ready path, on the metrics port by name', () => {
    expect(api.livenessProbe.httpGet).toEqual({
      path: devConfig.api.healthPath,
      port: 'metrics',
      scheme: 'HTTP',
    });
    expect(api.startupProbe.httpGet).toEqual({
      path: devConfig.api.healthPath,
      port: 'metrics',
      scheme: 'HTTP',
    });
    expect(api.readinessProbe.httpGet).toEqual({
      path: devConfig.api.readyPath,
      port: 'metrics',
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
    const all = render(files).objects;
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
    // The same for every release: the pods' own name, instance, component and revision select the peers.
    for (const t of pod.topologySpreadConstraints) {
      expect(t.labelSelector).toEqual({});
      expect(t.matchLabelKeys).toEqual([
        ...Object.keys(selectorLabels(devConfig)),
        'pod-template-hash',
      ]);
    }
    expect(find(objects, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });
});

describe('the other objects', () => {
  test('ServiceAccount: no token', () => {
    expect(find(objects, 'ServiceAccount', names.serviceAccount).automountServiceAccountToken).toBe(
      false,
    );
    expect(pod.serviceAccountName).toBe(names.serviceAccount);
  });

  test('the migration Job runs as its own ServiceAccount, a hook created before it (its Pod Identity role reads the master secret)', () => {
    const account = find(objects, 'ServiceAccount', names.migrationServiceAccount);
    expect(account.automountServiceAccountToken).toBe(false);
    expect(account.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-weight': '-5',
    });
    const job = find(objects, 'Job', names.migrationJob);
    expect(Number(job.metadata.annotations['helm.sh/hook-weight'])).toBeGreaterThan(-5);
    expect(job.spec.template.spec.serviceAccountName).toBe(names.migrationServiceAccount);
    expect(names.migrationServiceAccount).not.toBe(names.serviceAccount);
  });

  test('Service: an NLB on the service port to the named API port; never the Redis or the metrics port', () => {
    const service = find(objects, 'Service');
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports).toEqual([
      { name: 'http', port: devConfig.service.port, targetPort: 'http', protocol: 'TCP' },
    ]);
    expect(service.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
    });
    expect(service.spec.loadBalancerClass).toBeUndefined();
    // The client's address reaches the pods (the API limits logins per client address).
    expect(service.spec.externalTrafficPolicy).toBe('Local');
    expect(JSON.stringify(service)).not.toContain(String(devConfig.redis.port));
    // The probes and metrics are for the kubelet and a scraper, never for the load balancer.
    expect(JSON.stringify(service)).not.toContain('metrics');
    expect(JSON.stringify(service)).not.toContain(String(devConfig.api.metricsPort));
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
    expect(service.spec.externalTrafficPolicy).toBe('Local');
    // IP targets: the target group must preserve the client's address.
    const ip = resolveConfig({
      env: 'dev',
      overrides: { service: { loadBalancer: 'aws-load-balancer-controller', targetType: 'ip' } },
    });
    expect(
      find(manifestObjects(synthesizeFitTechChart(ip).manifests), 'Service').metadata.annotations,
    ).toMatchObject({
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes':
        'preserve_client_ip.enabled=true',
    });
  });

  test('Service in prod: a TLS listener on 443 with the certificate and a TLS 1.3 policy, to the http port; port 80 closed', () => {
    const service = find(manifestObjects(synthesizeFitTechChart(prodConfig).manifests), 'Service');
    expect(service.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-cert':
        prodConfig.service.tls.certificateArn,
      'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': '443',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy':
        'ELBSecurityPolicy-TLS13-1-2-2021-06',
      'service.beta.kubernetes.io/aws-load-balancer-backend-protocol': 'tcp',
    });
    // An NLB cannot redirect: with a certificate the plain port does not exist (allowPlainHttp off).
    expect(service.spec.ports).toEqual([
      { name: 'https', port: 443, targetPort: 'http', protocol: 'TCP' },
    ]);
    expect(service.spec.externalTrafficPolicy).toBe('Local');
  });

  test('Service with TLS under the AWS Load Balancer Controller: the same TLS keys, IP targets still keep the client address', () => {
    const config = resolveConfig({
      project,
      env: 'prod',
      overrides: { service: { loadBalancer: 'aws-load-balancer-controller', targetType: 'ip' } },
    });
    const service = find(manifestObjects(synthesizeFitTechChart(config).manifests), 'Service');
    expect(service.spec.loadBalancerClass).toBe('service.k8s.aws/nlb');
    expect(service.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
      'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'ip',
      'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes':
        'preserve_client_ip.enabled=true',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': config.service.tls.certificateArn,
      'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': '443',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy':
        'ELBSecurityPolicy-TLS13-1-2-2021-06',
      'service.beta.kubernetes.io/aws-load-balancer-backend-protocol': 'tcp',
    });
    expect(service.spec.externalTrafficPolicy).toBe('Local');
  });

  test('Service with TLS and allowPlainHttp: both listeners, TLS only on the TLS port, another policy and port', () => {
    const config = resolveConfig({
      project,
      env: 'prod',
      overrides: {
        service: {
          allowPlainHttp: true,
          tls: { port: 8443, policy: 'ELBSecurityPolicy-TLS13-1-3-2021-06' },
        },
      },
    });
    const service = find(manifestObjects(synthesizeFitTechChart(config).manifests), 'Service');
    expect(service.spec.ports).toEqual([
      { name: 'https', port: 8443, targetPort: 'http', protocol: 'TCP' },
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
    ]);
    // Without ssl-ports every port would get TLS: only 8443 is named.
    expect(service.metadata.annotations).toMatchObject({
      'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': '8443',
      'service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy':
        'ELBSecurityPolicy-TLS13-1-3-2021-06',
    });
  });

  test('control FITTECH-TLS-1 (Checkov-style): every production environment of fittech.config.ts has a TLS listener on its Service', () => {
    const production = Object.keys(project.environments).filter(isProductionEnvironment);
    expect(production).toEqual(['prod']);
    for (const env of production) {
      const config = resolveConfig({ project, env });
      const service = find(manifestObjects(synthesizeFitTechChart(config).manifests), 'Service');
      const a = service.metadata.annotations;
      // The rule, restated over the rendered object: a certificate, a TLS port that is a port of
      // the Service, a TLS 1.3 policy, and no plain listener unless the config allows it.
      expect(a['service.beta.kubernetes.io/aws-load-balancer-ssl-cert']).toMatch(/^arn:aws:acm:/);
      const tlsPorts = a['service.beta.kubernetes.io/aws-load-balancer-ssl-ports'].split(',');
      const ports = service.spec.ports.map((p: Json) => String(p.port));
      expect(tlsPorts.every((p: string) => ports.includes(p))).toBe(true);
      expect(a['service.beta.kubernetes.io/aws-load-balancer-ssl-negotiation-policy']).toMatch(
        /^ELBSecurityPolicy-TLS13-/,
      );
      const plain = ports.filter((p: string) => !tlsPorts.includes(p));
      expect(plain).toEqual(config.service.allowPlainHttp ? [String(config.service.port)] : []);
    }
    // The control can fail: dev has no TLS listener.
    const dev = find(objects, 'Service').metadata.annotations;
    expect(dev['service.beta.kubernetes.io/aws-load-balancer-ssl-cert']).toBeUndefined();
  });

  test('NetworkPolicy: the API port from anywhere, the metrics port from Prometheus in `monitoring` only', () => {
    const policy = find(objects, 'NetworkPolicy');
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(policy.spec.ingress).toEqual([
      { ports: [{ protocol: 'TCP', port: 'http' }] },
      {
        from: [
          {
            namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
            podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } },
          },
        ],
        ports: [{ protocol: 'TCP', port: 'metrics' }],
      },
    ]);
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
    const rendered = render(files, VALUE_VARIANTS['inline secrets']).objects;
    const secret = find(rendered, 'Secret', names.secret);
    const hookSecret = find(rendered, 'Secret', names.migrationSecret);
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
    const defaults = find(render(files).objects, 'Deployment');
    expect(dep.spec.template.metadata.annotations['checksum/secrets']).not.toBe(
      defaults.spec.template.metadata.annotations['checksum/secrets'],
    );
  });

  test('the helm test Pod calls the health path through the Service with a pinned image', () => {
    const { files } = packaged(devConfig);
    const testPod = find(render(files).objects, 'Pod', names.testPod);
    expect(testPod.metadata.annotations['helm.sh/hook']).toBe('test');
    const c = testPod.spec.containers[0];
    expect(c.image).toMatch(/^curlimages\/curl:\d+\.\d+\.\d+$/);
    expect(c.command.at(-1)).toBe(
      `http://${names.service}:${devConfig.service.port}${devConfig.api.healthPath}`,
    );
    expect(testPod.spec.restartPolicy).toBe('Never');
  });

  test('prod: the helm test Pod calls the Service on its TLS port in plain HTTP (TLS ends at the NLB); NOTES use https:// on the hostname', () => {
    const { files } = packaged(prodConfig);
    const rendered = render(files, {}, { includeTests: true });
    const c = find(rendered.objects, 'Pod', names.testPod).spec.containers[0];
    expect(c.command.at(-1)).toBe(`http://${names.service}:443${prodConfig.api.healthPath}`);
    expect(rendered.notes).toContain(
      `"https://${prodConfig.service.dns.hostname}${prodConfig.api.healthPath}"`,
    );
    expect(rendered.notes).toContain(
      `Point ${prodConfig.service.dns.hostname} at "$LB_HOST": \`fittech-deploy dns\``,
    );
    expect(rendered.notes).not.toContain('http://$LB_HOST');
  });

  test('NOTES.txt tells how to get the load balancer hostname and health-check it', () => {
    const notes = render(artifacts.chart).notes;
    expect(notes).toContain(`as release ${names.release} in namespace ${names.namespace}`);
    expect(notes).toContain(`get service ${names.service}`);
    expect(notes).toContain(`rollout status deployment/${names.deployment}`);
    expect(notes).toContain('.status.loadBalancer.ingress[0].hostname');
    expect(notes).toContain(`curl --fail`);
    expect(notes).toContain(`:${devConfig.service.port}${devConfig.api.healthPath}`);
    expect(notes).toContain(`helm test ${names.release}`);
    expect(notes).toContain(`from the Secret "${names.secret}"`);
    // Another release speaks of its own objects; an existing Secret is named as it is.
    const other = render(
      artifacts.chart,
      { secrets: { existingSecret: 'vault-synced' } },
      { release: 'blue' },
    ).notes;
    expect(other).toContain(`get service blue-${names.chart}`);
    expect(other).toContain('from the Secret "vault-synced"');
    expect(render(artifacts.chart, VALUE_VARIANTS['inline secrets']).notes).not.toContain(
      'create it before',
    );
  });

  test('prod differs in sizes, not in the shape of names', () => {
    const prod = manifestObjects(synthesizeFitTechChart(prodConfig).manifests);
    expect(prod.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    );
    expect(find(prod, 'Deployment').spec.replicas).toBe(prodConfig.api.replicas);
  });
});

describe('templates render what the construct synthesizes, for any values and any release', () => {
  const base = packaged(devConfig).files;
  test.each(Object.entries(VALUE_VARIANTS))('%s', (_, overrides) => {
    const { chart, files } = packaged(devConfig, overrides);
    // The templates do not depend on the values the chart was built with…
    expect(files).toEqual(base);
    // …and rendering them with those values gives exactly what the construct synthesizes for them.
    expect(byKey(render(base, overrides).objects)).toEqual(byKey(synthesizeObjects(chart)));
  });

  test('another release: the templates render what the construct synthesizes for it', () => {
    const chart = fitTechChart(devConfig, {}, { name: 'canary', namespace: 'staging' });
    expect(byKey(render(base, {}, { release: 'canary', namespace: 'staging' }).objects)).toEqual(
      byKey(synthesizeObjects(chart)),
    );
    expect(find(synthesizeObjects(chart), 'Deployment').metadata.name).toBe(
      `canary-${names.chart}`,
    );
  });

  test('autoscaling: the HPA appears and the Deployment leaves replicas to it', () => {
    const rendered = render(base, VALUE_VARIANTS.autoscaling).objects;
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

  test('the HPA’s default maximum is the one the capacity check held to nodeGroup.maxSize', () => {
    // The chart's autoscaling.maxReplicas defaults to api.maxReplicas, else 2 × api.replicas.
    expect(render(base, { autoscaling: { enabled: true } }).values).toMatchObject({
      autoscaling: { maxReplicas: autoscalingMaxReplicas(devConfig) },
    });
    expect(autoscalingMaxReplicas(devConfig)).toBe(2 * devConfig.api.replicas);
    const config = resolveConfig({ env: 'dev', overrides: { api: { maxReplicas: 7 } } });
    const hpa = find(
      render(packaged(config).files, { autoscaling: { enabled: true } }).objects,
      'HorizontalPodAutoscaler',
    );
    expect(hpa.spec.maxReplicas).toBe(7);
  });

  test('a digest pins the image instead of the tag, in the Deployment and the Job', () => {
    const rendered = render(base, VALUE_VARIANTS.digest).objects;
    const image = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/fittech-api@sha256:${'ab'.repeat(32)}`;
    expect(find(rendered, 'Deployment').spec.template.spec.containers[0].image).toBe(image);
    expect(find(rendered, 'Job').spec.template.spec.containers[0].image).toBe(image);
  });

  test('podAnnotations are added next to the checksums', () => {
    const rendered = render(base, VALUE_VARIANTS['resources and annotations']).objects;
    const annotations = find(rendered, 'Deployment').spec.template.metadata.annotations;
    expect(annotations).toMatchObject(
      (VALUE_VARIANTS['resources and annotations'] as Json).podAnnotations,
    );
    expect(Object.keys(annotations)).toEqual(
      expect.arrayContaining(['checksum/config', 'checksum/secrets']),
    );
  });
});

describe('the values operators expect', () => {
  const base = packaged(devConfig).files;
  const podSpec = (values: unknown) =>
    find(render(base, values).objects, 'Deployment').spec.template;
  const excerpt = (what: string, value: unknown) =>
    console.info(
      `${what}:\n${JSON.stringify(value, null, 2)
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}`,
    );

  test('nodeSelector, tolerations, affinity, topologySpreadConstraints, priorityClassName land in the pod spec', () => {
    const values = VALUE_VARIANTS.scheduling as Json;
    const { spec } = podSpec(values);
    expect(spec.nodeSelector).toEqual(values.nodeSelector);
    expect(spec.tolerations).toEqual(values.tolerations);
    expect(spec.affinity).toEqual(values.affinity);
    expect(spec.topologySpreadConstraints).toEqual(values.topologySpreadConstraints);
    expect(spec.priorityClassName).toBe('high-priority');
    excerpt('scheduling values, rendered', {
      nodeSelector: spec.nodeSelector,
      tolerations: spec.tolerations,
      affinity: spec.affinity,
      topologySpreadConstraints: spec.topologySpreadConstraints,
      priorityClassName: spec.priorityClassName,
    });
    // Left out entirely when empty, as in `helm create`.
    const defaults = podSpec({}).spec;
    for (const field of [
      'nodeSelector',
      'tolerations',
      'affinity',
      'priorityClassName',
      'imagePullSecrets',
    ]) {
      expect(defaults[field]).toBeUndefined();
    }
  });

  test('imagePullSecrets, podLabels, extraEnv and service.annotations', () => {
    const values = VALUE_VARIANTS['no spread, pull secrets, extra env, labels'] as Json;
    const rendered = render(base, values).objects;
    const template = find(rendered, 'Deployment').spec.template;
    expect(template.spec.imagePullSecrets).toEqual(values.imagePullSecrets);
    expect(template.spec.topologySpreadConstraints).toBeUndefined();
    expect(template.metadata.labels).toMatchObject({
      ...values.podLabels,
      ...selectorLabels(devConfig),
    });
    // Extra labels never reach the selectors.
    expect(find(rendered, 'Deployment').spec.selector.matchLabels).toEqual(
      selectorLabels(devConfig),
    );
    const apiEnv = template.spec.containers[0].env;
    expect(apiEnv.slice(-2)).toEqual(values.extraEnv);
    const jobEnv = find(rendered, 'Job').spec.template.spec.containers[0].env;
    expect(jobEnv.slice(-2)).toEqual(values.extraEnv);
    const service = find(rendered, 'Service');
    expect(service.metadata.annotations).toEqual({
      'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb',
      ...values.service.annotations,
    });
    excerpt('imagePullSecrets, podLabels, extraEnv, service.annotations, rendered', {
      imagePullSecrets: template.spec.imagePullSecrets,
      podLabels: template.metadata.labels,
      extraEnv: apiEnv.slice(-2),
      serviceAnnotations: service.metadata.annotations,
    });
  });

  test('nameOverride and fullnameOverride rename every object and the name label, and nothing else', () => {
    const renamed = render(base, { nameOverride: 'gym' }).objects;
    expect(find(renamed, 'Deployment').metadata.name).toBe(`${names.release}-gym`);
    expect(find(renamed, 'Deployment').spec.selector.matchLabels['app.kubernetes.io/name']).toBe(
      'gym',
    );
    const full = render(base, { fullnameOverride: 'fit-api-blue' }).objects;
    expect(full.map((o) => o.metadata.name).sort()).toEqual(
      [
        'fit-api-blue',
        'fit-api-blue-config',
        'fit-api-blue-migrate',
        'fit-api-blue-migrate',
        'fit-api-blue',
        'fit-api-blue',
        'fit-api-blue',
        'fit-api-blue',
        'fit-api-blue-test-health',
      ].sort(),
    );
    // The Service's test URL follows the Service's name.
    expect(find(full, 'Pod').spec.containers[0].command.at(-1)).toBe(
      `http://fit-api-blue:${devConfig.service.port}${devConfig.api.healthPath}`,
    );
  });
});

describe('metrics: the ServiceMonitor, its Service and the PrometheusRule', () => {
  const { files } = packaged(devConfig);
  const on = render(files, {
    metrics: {
      serviceMonitor: { enabled: true, labels: { release: 'kube-prometheus-stack' } },
      prometheusRule: { enabled: true, namespace: 'monitoring' },
    },
  }).objects;

  test('off by default: a cluster without the Prometheus Operator installs the chart', () => {
    const kinds = render(files).objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds.filter((k) => /ServiceMonitor|PrometheusRule|-metrics$/.test(k))).toEqual([]);
  });

  test('the ServiceMonitor scrapes the metrics port through a ClusterIP Service of its own, never the public one', () => {
    const monitor = find(on, 'ServiceMonitor', names.serviceMonitor);
    const metricsService = find(on, 'Service', names.metricsService);
    const publicService = find(on, 'Service', names.service);
    expect(metricsService.spec).toEqual({
      type: 'ClusterIP',
      selector: selectorLabels(devConfig),
      ports: [{ name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' }],
    });
    expect(publicService.spec.ports.map((p: Json) => p.targetPort)).not.toContain('metrics');
    // The monitor's selector matches the metrics Service's labels, and not the public Service's.
    const selects = (service: Json) =>
      Object.entries(monitor.spec.selector.matchLabels).every(
        ([k, v]) => service.metadata.labels[k] === v,
      );
    expect(selects(metricsService)).toBe(true);
    expect(selects(publicService)).toBe(false);
    expect(monitor.metadata.labels.release).toBe('kube-prometheus-stack');
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: [names.namespace] });
    expect(monitor.spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', scheme: 'http', interval: '30s', scrapeTimeout: '10s' },
    ]);
  });

  test("the PrometheusRule reads the release's series, and may live in the operator's namespace", () => {
    const runbook = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'runbooks.md'), 'utf8');
    const rule = find(on, 'PrometheusRule', names.prometheusRule);
    expect(rule.metadata.namespace).toBe('monitoring');
    const exprs = rule.spec.groups.flatMap((g: Json) => g.rules.map((r: Json) => r.expr as string));
    for (const expr of exprs.filter((e: string) => e.includes('fittech_http'))) {
      expect(expr).toContain(`job="${names.metricsService}", namespace="${names.namespace}"`);
    }
    for (const r of rule.spec.groups.flatMap((g: Json) => g.rules).filter((r: Json) => r.alert)) {
      expect(Object.keys(r.annotations).sort()).toEqual(['description', 'runbook_url', 'summary']);
      expect(r.annotations.runbook_url).toBe(
        `${devConfig.observability.alerts.runbookUrl}#${(r.alert as string).toLowerCase()}`,
      );
      // The runbook has the section the link points at.
      expect(runbook).toContain(`\n## ${r.alert}\n`);
    }
    // Another release reads its own series.
    const other = render(
      files,
      { metrics: { prometheusRule: { enabled: true } } },
      { release: 'blue', namespace: 'shop' },
    );
    expect(JSON.stringify(find(other.objects, 'PrometheusRule'))).toContain(
      'job=\\"blue-fittech-metrics\\", namespace=\\"shop\\"',
    );
  });

  test('the rules follow the SLOs of the configuration', () => {
    const strict = resolveConfig({
      env: 'dev',
      overrides: {
        observability: { slo: { availability: 0.9995, latency: { thresholdSeconds: 0.25 } } },
      },
    });
    const rule = find(
      render(packaged(strict).files, { metrics: { prometheusRule: { enabled: true } } }).objects,
      'PrometheusRule',
    );
    const text = JSON.stringify(rule);
    expect(text).toContain('le=\\"0.25\\"');
    // 14.4 × 0.05 % of the budget: the 1h page's threshold.
    expect(text).toContain('> 0.0072');
  });
});
