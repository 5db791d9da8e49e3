import { ApiObject } from 'cdk8s';
import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import { HelmChart } from '../helm/chart';
import { Helm, type HelmExpression } from '../helm/expressions';
import { goJson } from '../helm/template-language';
import { valueAt } from '../helm/values';
import { secretValueName, type ApiWorkloadValues, type ContainerResources } from './values';

const k8s = kplus.k8s;

/** The names of the objects; all explicit and stable (no hash suffixes). */
export interface WorkloadNames {
  readonly deployment: string;
  readonly service: string;
  readonly serviceAccount: string;
  readonly configMap: string;
  /** The Secret the chart creates from the secret values. */
  readonly secret: string;
  readonly podDisruptionBudget: string;
  readonly horizontalPodAutoscaler: string;
  readonly networkPolicy: string;
  readonly migrationJob: string;
  /** The hook Secret that gives the migration Job the secret values before the release's Secret exists. */
  readonly migrationSecret: string;
  readonly testPod: string;
}

/** The API's environment: non-secret variables (a ConfigMap) and secret ones (a Secret). */
export interface ApiEnvironmentOptions {
  /** Variable → value; they land in the ConfigMap. @default - none */
  readonly config?: Readonly<Record<string, string>>;
  /** Variable → key in the Secret. The chart value of each is `secrets.<secretValueName(key)>`. @default - none */
  readonly secrets?: Readonly<Record<string, string>>;
}

export interface ApiContainerOptions {
  /** Port the HTTP server listens on; the container port named `http`. */
  readonly port: number;
  /** Command of the container. @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** Working directory. @default - the image's */
  readonly workingDir?: string;
  /** Numeric user the image runs as (non-zero). @default 65532 */
  readonly runAsUser?: number;
  /** Numeric group. @default - runAsUser */
  readonly runAsGroup?: number;
  /** Liveness (and startup) path: depends on nothing but the process. @default "/health" */
  readonly healthPath?: string;
  /** Readiness path: the dependencies answer. Must differ from healthPath. @default "/ready" */
  readonly readyPath?: string;
  /** The environment contract. @default - no variables */
  readonly environment?: ApiEnvironmentOptions;
  /** Paths that must be writable (emptyDir volumes; the root filesystem is read-only). @default ["/tmp"] */
  readonly writablePaths?: readonly string[];
  /**
   * Seconds the preStop hook sleeps before SIGTERM, so load balancers stop sending first
   * (an exec of `sleep`: the image needs a sleep binary). 0 disables the hook. @default 10
   */
  readonly preStopSleepSeconds?: number;
  /** Seconds from the start of termination to SIGKILL; must exceed preStopSleepSeconds. @default preStopSleepSeconds + 30 */
  readonly terminationGracePeriodSeconds?: number;
  /** Seconds the process may take to answer its health path after starting. @default 60 */
  readonly startupTimeoutSeconds?: number;
}

export interface RedisSidecarOptions {
  /** Pinned image. @default "redis:7.4.2-alpine" */
  readonly image?: string;
  /** Port on 127.0.0.1. @default 6379 */
  readonly port?: number;
  /** `maxmemory`, MiB, evicted with allkeys-lru; keep it below the sidecar's memory limit. @default 48 */
  readonly maxMemoryMiB?: number;
  /** Numeric user (the official image's `redis`). @default 999 */
  readonly runAsUser?: number;
}

export interface LoadBalancerOptions {
  /** Port of the LoadBalancer Service (the NLB listener). @default 80 */
  readonly port?: number;
  /**
   * `in-tree`: the cloud provider's legacy controller creates an NLB from the
   * `aws-load-balancer-type: nlb` annotation (no add-on needed).
   * `aws-load-balancer-controller`: `loadBalancerClass: service.k8s.aws/nlb` (the controller must be installed).
   * @default "in-tree"
   */
  readonly loadBalancer?: 'in-tree' | 'aws-load-balancer-controller';
  /** NLB target type with the AWS Load Balancer Controller. @default "ip" */
  readonly targetType?: 'ip' | 'instance';
}

export interface MigrationOptions {
  /** Command that migrates the database (same image, same environment as the API). */
  readonly command: readonly string[];
  /** Retries of a failed migration pod. @default 1 */
  readonly backoffLimit?: number;
  /** Seconds the migration may run in total. @default 300 */
  readonly activeDeadlineSeconds?: number;
}

export interface HealthTestOptions {
  /** Pinned image with curl. @default "curlimages/curl:8.11.1" */
  readonly image?: string;
  /** Numeric user of that image. @default 100 */
  readonly runAsUser?: number;
}

export interface ApiWithRedisSidecarProps {
  /** Base name: Deployment, Service, ServiceAccount, PDB, HPA and NetworkPolicy are named after it. */
  readonly name: string;
  /** Override individual names. @default - derived from `name` */
  readonly names?: Partial<WorkloadNames>;
  /** Labels that select the API pods; never changed after the first release. @default { "app.kubernetes.io/name": name } */
  readonly selectorLabels?: Readonly<Record<string, string>>;
  /** Labels of every object (the selector labels are always included). @default - the selector labels */
  readonly labels?: Readonly<Record<string, string>>;
  readonly api: ApiContainerOptions;
  /** The Redis cache sidecar. @default - the defaults of RedisSidecarOptions */
  readonly redis?: RedisSidecarOptions;
  /** The LoadBalancer Service. @default - the defaults of LoadBalancerOptions */
  readonly service?: LoadBalancerOptions;
  /** Rolling update; the default never drops below the replica count (and so never below the PDB). @default { maxSurge: 1, maxUnavailable: 0 } */
  readonly rollout?: { readonly maxSurge?: number; readonly maxUnavailable?: number };
  /** A pre-install/pre-upgrade hook Job that migrates the database. @default - none */
  readonly migration?: MigrationOptions;
  /** A `helm test` Pod that calls the health path through the Service; false for none. @default - the defaults of HealthTestOptions */
  readonly healthTest?: HealthTestOptions | false;
  /**
   * The deploy-time inputs (image, replicas, autoscaling, resources, secrets, pod annotations).
   * Inside a {@link HelmChart} they are bound to the chart's values at `valuesPath`.
   * @default - the HelmChart's values at `valuesPath`
   */
  readonly values?: ApiWorkloadValues;
  /** Where this workload's values sit in the chart's values. @default "" (the top level) */
  readonly valuesPath?: string;
}

const HOOK_ANNOTATIONS = {
  'helm.sh/hook': 'pre-install,pre-upgrade',
  'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
};
const SECURITY_PROFILE = { type: 'RuntimeDefault' };

/**
 * An HTTP API with a Redis cache as a native sidecar (an init container with
 * `restartPolicy: Always`, Kubernetes ≥ 1.29), exposed by a LoadBalancer
 * Service (an AWS NLB), with its ServiceAccount, ConfigMap, Secret, PDB, HPA,
 * NetworkPolicy, a migration hook Job and a `helm test` Pod.
 *
 * Every container meets the "restricted" Pod Security Standard with a
 * read-only root filesystem; Redis listens on 127.0.0.1 only, keeps nothing
 * on disk and evicts with allkeys-lru. The objects are written with the
 * Kubernetes API types of cdk8s-plus-28 (`k8s.Kube*`), which say exactly what
 * is emitted; ServiceAccount, ConfigMap and Secret use cdk8s-plus-28's L2
 * constructs, whose output is exactly what we want.
 */
export class ApiWithRedisSidecar extends Construct {
  readonly names: WorkloadNames;
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly deployment: ApiObject;
  readonly service: ApiObject;
  readonly serviceAccount: kplus.ServiceAccount;
  readonly configMap?: kplus.ConfigMap;
  readonly secret?: kplus.Secret;
  readonly podDisruptionBudget: ApiObject;
  /** Undefined outside a HelmChart when autoscaling is disabled. */
  readonly horizontalPodAutoscaler?: ApiObject;
  readonly networkPolicy: ApiObject;
  readonly migrationJob?: ApiObject;
  readonly testPod?: ApiObject;

  constructor(scope: Construct, id: string, props: ApiWithRedisSidecarProps) {
    super(scope, id);
    const helm = HelmChart.tryOf(this);
    const valuesPath = props.valuesPath ?? '';
    const v = (p: string) => (valuesPath ? `${valuesPath}.${p}` : p);
    const values = (props.values ??
      (helm ? (valuesPath ? valueAt(helm.values, valuesPath) : helm.values) : undefined)) as
      ApiWorkloadValues | undefined;
    if (!values) {
      throw new Error(
        `${this.node.path}: pass "values" (outside a HelmChart there are no chart values to read)`,
      );
    }
    const bind = (object: ApiObject, pointer: string, expression: HelmExpression) =>
      helm?.bindValue(object, pointer, expression);

    const name = props.name;
    this.names = {
      deployment: name,
      service: name,
      serviceAccount: name,
      configMap: `${name}-config`,
      secret: `${name}-secrets`,
      podDisruptionBudget: name,
      horizontalPodAutoscaler: name,
      networkPolicy: name,
      migrationJob: `${name}-migrate`,
      testPod: `${name}-test-health`,
      ...props.names,
      migrationSecret:
        props.names?.migrationSecret ?? `${props.names?.migrationJob ?? `${name}-migrate`}-secrets`,
    };
    const names = this.names;
    const selector = props.selectorLabels ?? { 'app.kubernetes.io/name': name };
    this.selectorLabels = selector;
    const labels = { ...props.labels, ...selector };

    const api = props.api;
    const healthPath = api.healthPath ?? '/health';
    const readyPath = api.readyPath ?? '/ready';
    if (healthPath === readyPath) {
      throw new Error(
        `${this.node.path}: api.readyPath must differ from api.healthPath (${healthPath}): liveness and readiness answer different questions`,
      );
    }
    const preStop = api.preStopSleepSeconds ?? 10;
    const grace = api.terminationGracePeriodSeconds ?? preStop + 30;
    if (grace <= preStop) {
      throw new Error(
        `${this.node.path}: api.terminationGracePeriodSeconds (${grace}) must exceed api.preStopSleepSeconds (${preStop}), or SIGTERM never comes before SIGKILL`,
      );
    }
    const apiUser = api.runAsUser ?? 65532;
    const redis = {
      image: props.redis?.image ?? 'redis:7.4.2-alpine',
      port: props.redis?.port ?? 6379,
      maxMemoryMiB: props.redis?.maxMemoryMiB ?? 48,
      runAsUser: props.redis?.runAsUser ?? 999,
    };
    if (redis.port === api.port) {
      throw new Error(
        `${this.node.path}: redis.port must differ from api.port (${api.port}): both listen in the same pod`,
      );
    }
    const redisLimit = memoryMiB(values.resources.redis.limits.memory);
    if (redisLimit !== undefined && redis.maxMemoryMiB >= redisLimit) {
      throw new Error(
        `${this.node.path}: redis.maxMemoryMiB (${redis.maxMemoryMiB}) must stay below the sidecar's memory limit ` +
          `(${values.resources.redis.limits.memory}), or the kernel kills Redis instead of Redis evicting keys`,
      );
    }
    const configVars = api.environment?.config ?? {};
    const secretVars = api.environment?.secrets ?? {};
    const secretValueNames = Object.values(secretVars).map(secretValueName);
    for (const n of secretValueNames) {
      if (typeof values.secrets[n] !== 'string') {
        throw new Error(
          `${this.node.path}: the values have no secrets.${n} for the secret key "${Object.values(secretVars)[secretValueNames.indexOf(n)]}"; build them with apiWorkloadValues({ secrets: { ${n}: … } })`,
        );
      }
    }
    const hasSecrets = secretValueNames.length > 0;
    const secretsGiven = hasSecrets && secretValueNames.every((n) => values.secrets[n] !== '');
    const firstSecret = v(`secrets.${secretValueNames[0]}`);

    // Security context of every container: the "restricted" Pod Security Standard plus a read-only root.
    const containerSecurity = (uid: number, gid = uid) => ({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: gid,
      capabilities: { drop: ['ALL'] },
      seccompProfile: SECURITY_PROFILE,
    });
    const podSecurity = { runAsNonRoot: true, seccompProfile: SECURITY_PROFILE };
    /** What the hook pods (migration Job, helm test) share: run once, no token, no service links. */
    const hookPodBase = {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: podSecurity,
    } as const;
    const quantity = (q: string) => k8s.Quantity.fromString(q);
    const resourceRequirements = (r: ContainerResources) => ({
      requests: { cpu: quantity(r.requests.cpu), memory: quantity(r.requests.memory) },
      limits: { cpu: quantity(r.limits.cpu), memory: quantity(r.limits.memory) },
    });
    const volumeName = (path: string) =>
      path
        .replace(/^\/+|\/+$/g, '')
        .replace(/[^a-z0-9]+/gi, '-')
        .toLowerCase() || 'root';
    const writable = (api.writablePaths ?? ['/tmp']).map((path) => ({
      name: volumeName(path),
      path,
    }));
    const emptyDir = (name: string) => ({ name, emptyDir: { sizeLimit: quantity('64Mi') } });
    const image = values.image.digest
      ? `${values.image.repository}@${values.image.digest}`
      : `${values.image.repository}:${values.image.tag}`;
    const imageExpression = Helm.image({
      repository: v('image.repository'),
      tag: v('image.tag'),
      digest: v('image.digest'),
    });
    const auxiliaryLabels = (component: string) => {
      const aux = {
        ...labels,
        'app.kubernetes.io/name': `${labels['app.kubernetes.io/name'] ?? name}-${component}`,
        'app.kubernetes.io/component': component,
      };
      if (Object.entries(selector).every(([k, value]) => aux[k as keyof typeof aux] === value)) {
        throw new Error(
          `${this.node.path}: selectorLabels must include app.kubernetes.io/name or app.kubernetes.io/component, or the ${component} pod would match the API's selector`,
        );
      }
      return aux;
    };

    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', {
      metadata: { name: names.serviceAccount, labels },
      automountToken: false,
    });

    const hasConfig = Object.keys(configVars).length > 0;
    if (hasConfig) {
      this.configMap = new kplus.ConfigMap(this, 'ConfigMap', {
        metadata: { name: names.configMap, labels },
        data: { ...configVars },
      });
    }

    const secretData = (): Record<string, string> =>
      Object.fromEntries(
        Object.values(secretVars).map((key) => [key, values.secrets[secretValueName(key)]!]),
      );
    const bindSecretData = (secret: kplus.Secret) => {
      for (const key of Object.values(secretVars)) {
        bind(
          ApiObject.of(secret),
          `/stringData/${escapePointer(key)}`,
          Helm.value(v(`secrets.${secretValueName(key)}`)),
        );
      }
      helm?.includeObjectWhen(ApiObject.of(secret), Helm.when(firstSecret));
    };
    if (hasSecrets && (helm || secretsGiven)) {
      this.secret = new kplus.Secret(this, 'Secret', {
        metadata: { name: names.secret, labels },
        stringData: secretData(),
      });
      bindSecretData(this.secret);
    }

    // Environment of the API: explicit entries (a reader can resolve each one).
    const env = [
      ...Object.keys(configVars).map((variable) => ({
        name: variable,
        valueFrom: { configMapKeyRef: { name: names.configMap, key: variable } },
      })),
      ...Object.entries(secretVars).map(([variable, key]) => ({
        name: variable,
        valueFrom: { secretKeyRef: { name: values.secrets.existingSecret, key } },
      })),
    ];
    const configFirst = Object.keys(configVars).length;

    const httpGet = (path: string) => ({
      httpGet: { path, port: k8s.IntOrString.fromString('http'), scheme: 'HTTP' },
    });
    const redisPing = {
      exec: { command: ['redis-cli', '-h', '127.0.0.1', '-p', String(redis.port), 'ping'] },
    };
    const checksumConfig = createHash('sha256').update(goJson(configVars)).digest('hex');
    const checksumSecrets = createHash('sha256').update(goJson(values.secrets)).digest('hex');
    const annotations: Record<string, string> = {
      ...(hasConfig ? { 'checksum/config': checksumConfig } : {}),
      ...(hasSecrets ? { 'checksum/secrets': checksumSecrets } : {}),
      ...values.podAnnotations,
    };
    const maxSurge = props.rollout?.maxSurge ?? 1;
    const maxUnavailable = props.rollout?.maxUnavailable ?? 0;
    const spread = (topologyKey: string) => ({
      maxSkew: 1,
      topologyKey,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { ...selector } },
      matchLabelKeys: ['pod-template-hash'],
    });

    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name: names.deployment, labels },
      spec: {
        // With autoscaling the HPA owns the replica count: a fixed one would fight it on every upgrade.
        ...(helm || !values.autoscaling.enabled ? { replicas: values.replicaCount } : {}),
        revisionHistoryLimit: 5,
        selector: { matchLabels: { ...selector } },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxSurge: k8s.IntOrString.fromNumber(maxSurge),
            maxUnavailable: k8s.IntOrString.fromNumber(maxUnavailable),
          },
        },
        template: {
          metadata: { labels, annotations },
          spec: {
            serviceAccountName: names.serviceAccount,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: podSecurity,
            terminationGracePeriodSeconds: grace,
            topologySpreadConstraints: [
              spread('topology.kubernetes.io/zone'),
              spread('kubernetes.io/hostname'),
            ],
            initContainers: [
              {
                name: 'redis',
                image: redis.image,
                imagePullPolicy: 'IfNotPresent',
                // A native sidecar: starts before the API, stops after it.
                restartPolicy: 'Always',
                command: ['redis-server'],
                args: [
                  '--port',
                  String(redis.port),
                  '--bind',
                  '127.0.0.1',
                  '--protected-mode',
                  'yes',
                  '--save',
                  '',
                  '--appendonly',
                  'no',
                  '--maxmemory',
                  `${redis.maxMemoryMiB}mb`,
                  '--maxmemory-policy',
                  'allkeys-lru',
                  '--dir',
                  '/data',
                ],
                ports: [{ name: 'redis', containerPort: redis.port, protocol: 'TCP' }],
                resources: resourceRequirements(values.resources.redis),
                // No readiness probe: a cache outage degrades to the database, it must not take the pod out of the Service.
                startupProbe: {
                  ...redisPing,
                  periodSeconds: 1,
                  timeoutSeconds: 2,
                  failureThreshold: 30,
                },
                livenessProbe: {
                  ...redisPing,
                  periodSeconds: 10,
                  timeoutSeconds: 2,
                  failureThreshold: 3,
                },
                securityContext: containerSecurity(redis.runAsUser),
                volumeMounts: [{ name: 'redis-data', mountPath: '/data' }],
              },
            ],
            containers: [
              {
                name: 'api',
                image,
                imagePullPolicy: 'IfNotPresent',
                ...(api.command ? { command: [...api.command] } : {}),
                ...(api.workingDir ? { workingDir: api.workingDir } : {}),
                ports: [{ name: 'http', containerPort: api.port, protocol: 'TCP' }],
                env,
                resources: resourceRequirements(values.resources.api),
                startupProbe: {
                  ...httpGet(healthPath),
                  periodSeconds: 2,
                  timeoutSeconds: 2,
                  failureThreshold: Math.max(1, Math.ceil((api.startupTimeoutSeconds ?? 60) / 2)),
                },
                livenessProbe: {
                  ...httpGet(healthPath),
                  periodSeconds: 10,
                  timeoutSeconds: 2,
                  failureThreshold: 3,
                },
                readinessProbe: {
                  ...httpGet(readyPath),
                  periodSeconds: 5,
                  timeoutSeconds: 2,
                  failureThreshold: 3,
                },
                ...(preStop > 0
                  ? { lifecycle: { preStop: { exec: { command: ['sleep', String(preStop)] } } } }
                  : {}),
                securityContext: containerSecurity(apiUser, api.runAsGroup),
                volumeMounts: writable.map((w) => ({ name: w.name, mountPath: w.path })),
              },
            ],
            volumes: [...writable.map((w) => emptyDir(w.name)), emptyDir('redis-data')],
          },
        },
      },
    });
    const d = this.deployment;
    bind(d, '/spec/replicas', Helm.value(v('replicaCount')));
    helm?.includeFieldWhen(d, '/spec/replicas', Helm.unless(v('autoscaling.enabled')));
    bind(d, '/spec/template/metadata/annotations', Helm.mapEntries(v('podAnnotations')));
    if (hasSecrets)
      bind(d, '/spec/template/metadata/annotations/checksum~1secrets', Helm.checksum(v('secrets')));
    bind(d, '/spec/template/spec/initContainers/0/resources', Helm.yaml(v('resources.redis')));
    bind(d, '/spec/template/spec/containers/0/image', imageExpression);
    bind(d, '/spec/template/spec/containers/0/resources', Helm.yaml(v('resources.api')));
    Object.keys(secretVars).forEach((_, i) => {
      bind(
        d,
        `/spec/template/spec/containers/0/env/${configFirst + i}/valueFrom/secretKeyRef/name`,
        Helm.value(v('secrets.existingSecret')),
      );
    });

    const serviceSettings = {
      port: props.service?.port ?? 80,
      loadBalancer: props.service?.loadBalancer ?? 'in-tree',
      targetType: props.service?.targetType ?? 'ip',
    };
    const controller = serviceSettings.loadBalancer === 'aws-load-balancer-controller';
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: {
        name: names.service,
        labels,
        annotations: controller
          ? {
              'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
              'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type':
                serviceSettings.targetType,
            }
          : { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' },
      },
      spec: {
        type: 'LoadBalancer',
        ...(controller ? { loadBalancerClass: 'service.k8s.aws/nlb' } : {}),
        // Cluster: every node is a healthy NLB target, so rollouts never wait on NLB health checks.
        externalTrafficPolicy: 'Cluster',
        selector: { ...selector },
        ports: [
          {
            name: 'http',
            port: serviceSettings.port,
            targetPort: k8s.IntOrString.fromString('http'),
            protocol: 'TCP',
          },
        ],
      },
    });

    this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'PodDisruptionBudget', {
      metadata: { name: names.podDisruptionBudget, labels },
      spec: {
        maxUnavailable: k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: { ...selector } },
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    });

    if (helm || values.autoscaling.enabled) {
      const hpa = new k8s.KubeHorizontalPodAutoscalerV2(this, 'HorizontalPodAutoscaler', {
        metadata: { name: names.horizontalPodAutoscaler, labels },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: names.deployment },
          minReplicas: values.autoscaling.minReplicas,
          maxReplicas: values.autoscaling.maxReplicas,
          metrics: [
            {
              // The api container only: the sidecar's requests would dilute the utilization.
              type: 'ContainerResource',
              containerResource: {
                name: 'cpu',
                container: 'api',
                target: {
                  type: 'Utilization',
                  averageUtilization: values.autoscaling.targetCPUUtilizationPercentage,
                },
              },
            },
          ],
        },
      });
      bind(hpa, '/spec/minReplicas', Helm.value(v('autoscaling.minReplicas')));
      bind(hpa, '/spec/maxReplicas', Helm.value(v('autoscaling.maxReplicas')));
      bind(
        hpa,
        '/spec/metrics/0/containerResource/target/averageUtilization',
        Helm.value(v('autoscaling.targetCPUUtilizationPercentage')),
      );
      helm?.includeObjectWhen(hpa, Helm.when(v('autoscaling.enabled')));
      this.horizontalPodAutoscaler = hpa;
    }

    this.networkPolicy = new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: names.networkPolicy, labels },
      spec: {
        podSelector: { matchLabels: { ...selector } },
        policyTypes: ['Ingress'],
        // Only the API port, from anywhere (the NLB forwards client traffic); Redis is never reachable.
        ingress: [{ ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromString('http') }] }],
      },
    });

    if (props.migration) {
      const migrateLabels = auxiliaryLabels('migrate');
      if (hasSecrets && (helm || secretsGiven)) {
        // Pre-install hooks run before the release's Secret exists: the Job reads a hook Secret of its own.
        const hookSecret = new kplus.Secret(this, 'MigrationSecret', {
          metadata: {
            name: names.migrationSecret,
            labels: migrateLabels,
            annotations: { ...HOOK_ANNOTATIONS, 'helm.sh/hook-weight': '-5' },
          },
          stringData: secretData(),
        });
        bindSecretData(hookSecret);
      }
      const job = new k8s.KubeJob(this, 'MigrationJob', {
        metadata: {
          name: names.migrationJob,
          labels: migrateLabels,
          annotations: { ...HOOK_ANNOTATIONS, 'helm.sh/hook-weight': '0' },
        },
        spec: {
          backoffLimit: props.migration.backoffLimit ?? 1,
          activeDeadlineSeconds: props.migration.activeDeadlineSeconds ?? 300,
          template: {
            metadata: { labels: migrateLabels },
            spec: {
              ...hookPodBase,
              containers: [
                {
                  name: 'migrate',
                  image,
                  imagePullPolicy: 'IfNotPresent',
                  command: [...props.migration.command],
                  ...(api.workingDir ? { workingDir: api.workingDir } : {}),
                  // The ConfigMap does not exist yet before the first install: the values are inlined.
                  env: [
                    ...Object.entries(configVars).map(([variable, value]) => ({
                      name: variable,
                      value,
                    })),
                    ...Object.entries(secretVars).map(([variable, key]) => ({
                      name: variable,
                      valueFrom: {
                        secretKeyRef: {
                          name: secretsGiven
                            ? names.migrationSecret
                            : values.secrets.existingSecret,
                          key,
                        },
                      },
                    })),
                  ],
                  resources: resourceRequirements(values.resources.api),
                  securityContext: containerSecurity(apiUser, api.runAsGroup),
                  volumeMounts: writable.map((w) => ({ name: w.name, mountPath: w.path })),
                },
              ],
              volumes: writable.map((w) => emptyDir(w.name)),
            },
          },
        },
      });
      bind(job, '/spec/template/spec/containers/0/image', imageExpression);
      bind(job, '/spec/template/spec/containers/0/resources', Helm.yaml(v('resources.api')));
      Object.keys(secretVars).forEach((_, i) => {
        bind(
          job,
          `/spec/template/spec/containers/0/env/${Object.keys(configVars).length + i}/valueFrom/secretKeyRef/name`,
          Helm.choose(
            Helm.when(firstSecret),
            { literal: names.migrationSecret },
            { value: v('secrets.existingSecret') },
          ),
        );
      });
      this.migrationJob = job;
    }

    if (props.healthTest !== false) {
      const testLabels = auxiliaryLabels('test');
      this.testPod = new k8s.KubePod(this, 'HealthTest', {
        metadata: {
          name: names.testPod,
          labels: testLabels,
          annotations: {
            'helm.sh/hook': 'test',
            'helm.sh/hook-delete-policy': 'before-hook-creation',
          },
        },
        spec: {
          ...hookPodBase,
          containers: [
            {
              name: 'health-check',
              image: props.healthTest?.image ?? 'curlimages/curl:8.11.1',
              imagePullPolicy: 'IfNotPresent',
              command: [
                'curl',
                '--fail',
                '--silent',
                '--show-error',
                '--max-time',
                '5',
                '--retry',
                '10',
                '--retry-delay',
                '3',
                '--retry-all-errors',
                `http://${names.service}:${serviceSettings.port}${healthPath}`,
              ],
              resources: resourceRequirements({
                requests: { cpu: '10m', memory: '16Mi' },
                limits: { cpu: '100m', memory: '32Mi' },
              }),
              securityContext: containerSecurity(props.healthTest?.runAsUser ?? 100),
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [emptyDir('tmp')],
        },
      });
    }
  }
}

/** MiB of a memory quantity in Ki, Mi or Gi (undefined for other units). */
function memoryMiB(quantity: string): number | undefined {
  const m = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!m) return undefined;
  return Number(m[1]) * { Ki: 1 / 1024, Mi: 1, Gi: 1024 }[m[2] as 'Ki' | 'Mi' | 'Gi'];
}

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
