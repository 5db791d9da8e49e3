/**
 * The promise of the platform: the infrastructure, the manifests, the chart
 * and the API's environment agree on every port and name, because all of them
 * come from @fittech/shared. These tests read the generated artifacts (what
 * `pnpm synth` writes), never the config's constants alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseApiEnvironment, resourceNames, serviceListeners } from '@fittech/shared';
import { artifacts, one, tfResources, type Artifacts, type K8sObject } from './artifacts';

/** Resolves a container port reference (a number or a port name) against the pod's containers. */
function resolvePort(pod: K8sObject, ref: number | string, container?: string): number {
  if (typeof ref === 'number') return ref;
  const containers = [...(pod.spec.containers ?? []), ...(pod.spec.initContainers ?? [])].filter(
    (c: K8sObject) => container === undefined || c.name === container,
  );
  const matches = containers.flatMap((c: K8sObject) =>
    (c.ports ?? [])
      .filter((p: K8sObject) => p.name === ref)
      .map((p: K8sObject) => p.containerPort as number),
  );
  if (matches.length !== 1)
    throw new Error(`port name "${ref}" resolves to ${matches.length} container ports`);
  return matches[0]!;
}

/** The API container's environment as the kubelet would give it (ConfigMap and Secret refs resolved). */
function containerEnv(
  a: Artifacts,
  container: K8sObject,
  secretData: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  const configMaps = a.objects.filter((o) => o.kind === 'ConfigMap');
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef)
      Object.assign(env, one(configMaps, 'ConfigMap', from.configMapRef.name).data);
  }
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      env[e.name] = one(configMaps, 'ConfigMap', ref.name).data[ref.key];
    } else if (e.valueFrom?.secretKeyRef) {
      env[e.name] = secretData[e.valueFrom.secretKeyRef.key]!;
    }
  }
  return env;
}

function checkAgreement(a: Artifacts) {
  const { config } = a;
  const names = resourceNames(config);
  const deployment = one(a.objects, 'Deployment', names.deployment);
  const pod = deployment.spec.template;
  const api = pod.spec.containers.find((c: K8sObject) => c.name === names.containers.api);
  const service = one(a.objects, 'Service', names.service);

  // Ports: container = Service targetPort = probes = PORT.
  const containerPort = resolvePort(pod, names.portNames.http, names.containers.api);
  expect(containerPort).toBe(config.api.port);
  // Every listener the config asks for (TLS and/or plain HTTP) reaches the API's port, and no other.
  expect(service.spec.ports.map((p: K8sObject) => [p.name, p.port])).toEqual(
    serviceListeners(config).map((l) => [l.name, l.port]),
  );
  for (const p of service.spec.ports) {
    expect(resolvePort(pod, p.targetPort, names.containers.api)).toBe(config.api.port);
  }
  // Probes: on the metrics port = METRICS_PORT, which no Service port reaches.
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    expect(api[probe].httpGet.port).toBe(names.portNames.metrics);
    expect(resolvePort(pod, api[probe].httpGet.port, names.containers.api)).toBe(
      config.api.metricsPort,
    );
  }
  for (const p of service.spec.ports) {
    expect(resolvePort(pod, p.targetPort, names.containers.api)).not.toBe(config.api.metricsPort);
  }
  expect(api.livenessProbe.httpGet.path).toBe(config.api.healthPath);
  expect(api.readinessProbe.httpGet.path).toBe(config.api.readyPath);
  const env = containerEnv(a, api, {
    'database-url': 'postgresql://u:p@h:5432/d',
    'secret-key': 'k'.repeat(32),
  });
  const parsed = parseApiEnvironment(env);
  expect(parsed.PORT).toBe(config.api.port);
  expect(parsed.METRICS_PORT).toBe(config.api.metricsPort);
  expect(parsed.HEALTH_PATH).toBe(config.api.healthPath);
  expect(parsed.READY_PATH).toBe(config.api.readyPath);
  expect(parsed.REDIS_URL).toBe(`redis://127.0.0.1:${config.redis.port}/0`);

  // The Service selects the Deployment's pods and never exposes Redis.
  expect(pod.metadata.labels).toMatchObject(service.spec.selector);
  expect(service.spec.ports.map((p: K8sObject) => p.port)).not.toContain(config.redis.port);

  // Names and namespace.
  for (const o of a.objects) expect(o.metadata.namespace).toBe(config.kubernetes.namespace);
  expect(deployment.metadata.name).toBe(names.deployment);
  expect(service.metadata.name).toBe(names.service);

  // Terraform: cluster name = subnet tags = node group's cluster.
  const clusters = Object.values(tfResources(a.terraform, 'aws_eks_cluster'));
  expect(clusters).toHaveLength(1);
  expect(clusters[0].name).toBe(config.cluster.name);
  const [clusterId] = Object.keys(tfResources(a.terraform, 'aws_eks_cluster'));
  const subnets = Object.values(tfResources(a.terraform, 'aws_subnet'));
  expect(subnets.length).toBeGreaterThanOrEqual(4);
  for (const subnet of subnets) {
    expect(subnet.tags[`kubernetes.io/cluster/${config.cluster.name}`]).toBe('shared');
  }
  const nodeGroups = Object.values(tfResources(a.terraform, 'aws_eks_node_group'));
  expect(nodeGroups).toHaveLength(1);
  expect(nodeGroups[0].cluster_name).toBe(`\${aws_eks_cluster.${clusterId}.name}`);
  expect(nodeGroups[0].node_group_name).toBe(names.nodeGroup);
  expect(clusters[0].version).toBe(config.cluster.version);
}

describe('artifacts agree on ports and names (default dev)', () => {
  const a = artifacts({ env: 'dev', workflowsDir: false });
  it('container port, Service targetPort, probes, PORT, paths, names and the cluster all agree', () => {
    checkAgreement(a);
  });
  it('uses the documented defaults', () => {
    const service = one(a.objects, 'Service', resourceNames(a.config).service);
    expect(service.spec.type).toBe('LoadBalancer');
    expect(service.spec.ports.map((p: K8sObject) => p.port)).toEqual([80]);
    expect(a.config.api.port).toBe(8000);
  });
});

describe('artifacts follow an override of api.port, api.metricsPort, service.port and cluster.name', () => {
  const overrides = {
    api: { port: 9000, metricsPort: 9191 },
    // prod has a certificate: the TLS port moves too, and plain HTTP stays open next to it.
    service: { port: 8080, tls: { port: 8443 }, allowPlainHttp: true },
    cluster: { name: 'blue-cluster' },
  };
  const a = artifacts({ env: 'prod', overrides, workflowsDir: false });
  it('every artifact follows', () => {
    expect(a.config.api.port).toBe(9000);
    expect(a.config.api.metricsPort).toBe(9191);
    checkAgreement(a);
    const service = one(a.objects, 'Service', resourceNames(a.config).service);
    expect(service.spec.ports.map((p: K8sObject) => p.port)).toEqual([8443, 8080]);
    expect(
      service.metadata.annotations?.['service.beta.kubernetes.io/aws-load-balancer-ssl-ports'],
    ).toBe('8443');
    expect(JSON.stringify(a.terraform)).not.toContain('fittech-prod');
  });
  it('no artifact still carries the default port or cluster name', () => {
    const manifests = JSON.stringify(a.objects);
    expect(manifests).not.toMatch(/\b8000\b/);
    expect(manifests).not.toMatch(/\b9090\b/);
    expect(manifests).toContain('9000');
    expect(manifests).toContain('9191');
  });
});

describe('the image and the pipeline agree with the manifests', () => {
  const a = artifacts({ env: 'dev' });
  const names = resourceNames(a.config);
  const pod = one(a.objects, 'Deployment', names.deployment).spec.template;
  const api = pod.spec.containers.find((c: K8sObject) => c.name === names.containers.api);
  const job = one(a.objects, 'Job', names.migrationJob).spec.template.spec.containers[0];
  const dockerfile = readFileSync(join(__dirname, '..', 'packages', 'api', 'Dockerfile'), 'utf8');
  /** The last value of an instruction in the final stage (the image that runs). */
  const instruction = (name: string) => {
    const finalStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    const lines = finalStage.split('\n').filter((l) => l.startsWith(`${name} `));
    return lines
      .at(-1)
      ?.slice(name.length + 1)
      .trim();
  };

  it('the Dockerfile runs what the Deployment and the Job expect: command, user, working dir; it names no port', () => {
    expect(JSON.parse(instruction('CMD')!)).toEqual(api.command);
    expect(instruction('WORKDIR')).toBe(api.workingDir);
    expect(instruction('USER')).toBe(
      `${api.securityContext.runAsUser}:${api.securityContext.runAsGroup}`,
    );
    // The port reaches the process as the ConfigMap's PORT; an EXPOSE could not follow an override.
    expect(instruction('EXPOSE')).toBeUndefined();
    // The hook Job runs the same image from the same working dir, as the same user.
    expect(job.image).toBe(api.image);
    expect(job.workingDir).toBe(api.workingDir);
    expect(job.securityContext.runAsUser).toBe(api.securityContext.runAsUser);
    expect(job.command[0]).toBe(api.command[0]);
  });

  it('the deploy workflow names the cluster, region, ECR repository and health path of the config', () => {
    const deploy = a.workflows['deploy.yml']!;
    for (const name of [
      names.cluster,
      a.config.region,
      names.ecrRepository,
      a.config.api.healthPath,
    ]) {
      expect(deploy).toContain(name);
    }
    expect(deploy).toContain(`service/${names.service}:${a.config.service.port}`);
    expect(deploy).toContain(`deployment/${names.deployment}`);
  });
});
