import * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import type { ChartValues } from '../chart/chart-values';
import { Helm, HelmChart } from '../chart/helm-chart';
import { Kube, KubeObject } from '../chart/kube-object';
import { apiContainer, apiSettings, type ApiSettings } from './api-container';
import { WorkloadEnvironment } from './environment';
import { healthTestPod, migrationJob, migrationServiceAccount } from './hooks';
import { horizontalPodAutoscaler, networkPolicy, podDisruptionBudget } from './policies';
import type { ApiWithRedisSidecarProps } from './props';
import { checkWorkload } from './rules';
import {
  REDIS_DATA_VOLUME,
  redisSettings,
  redisSidecar,
  type RedisSettings,
} from './redis-sidecar';
import { apiDeployment } from './deployment';
import { emptyDir } from './security';
import { loadBalancerService, servicePorts } from './service';
import { metricsObjects } from './metrics';
import type { ApiWorkloadValues } from './values';

export type { ApiWithRedisSidecarProps } from './props';

/** The labels the chart owns; `labels` may not set them. */
const CHART_LABELS =
  /^(helm\.sh\/|app\.kubernetes\.io\/(name|instance|version|managed-by|component)$)/;

/**
 * An HTTP API with a Redis cache as a native sidecar, exposed by a LoadBalancer
 * Service (an AWS NLB), with its ServiceAccount, ConfigMap, Secret, PDB, HPA,
 * NetworkPolicy, a migration hook Job and a `helm test` Pod — inside a
 * {@link HelmChart}, whose release names every object.
 *
 * Object names: the Deployment, Service, ServiceAccount, PDB, HPA and
 * NetworkPolicy are `<fullname>`; the ConfigMap `<fullname>-config`, the
 * Secret `<fullname>-secrets`, the Job `<fullname>-migrate`, the test Pod
 * `<fullname>-test-health`. Pods are selected by the chart's selector labels
 * plus `app.kubernetes.io/component: api`; the hook pods have another component.
 *
 * Each part is built by a small function with one concern (api-container,
 * redis-sidecar, environment, service, policies, hooks); this construct wires
 * them. Object bodies are assembled at synthesis (as cdk8s-plus assembles
 * `spec` with `Lazy`).
 */
export class ApiWithRedisSidecar extends Construct {
  readonly chart: HelmChart;
  readonly settings: { readonly api: ApiSettings; readonly redis: RedisSettings };
  /** Labels that select the API pods. */
  readonly selectorLabels: Readonly<Record<string, string>>;
  readonly environment: WorkloadEnvironment;
  readonly serviceAccount: KubeObject<object>;
  readonly deployment: KubeObject<object>;
  readonly service: KubeObject<object>;
  readonly podDisruptionBudget: KubeObject<object>;
  readonly horizontalPodAutoscaler: KubeObject<object>;
  readonly networkPolicy: KubeObject<object>;
  readonly migrationJob?: KubeObject<object>;
  /** The migration Job's ServiceAccount (a hook, like the Job). */
  readonly migrationServiceAccount?: KubeObject<object>;
  readonly testPod?: KubeObject<object>;
  /** With `metrics`: the metrics Service, the ServiceMonitor and the PrometheusRule (each behind its chart value). */
  readonly metrics?: ReturnType<typeof metricsObjects>;

  constructor(scope: Construct, id: string, props: ApiWithRedisSidecarProps) {
    super(scope, id);
    const chart = HelmChart.of(this);
    this.chart = chart;
    const values = chart.values as unknown as ChartValues<ApiWorkloadValues>;
    const api = apiSettings(props.api);
    const redis = redisSettings(props.redis);
    this.settings = { api, redis };
    checkWorkload(props, api, redis, values.current, this.node.path);
    for (const key of Object.keys(props.labels ?? {})) {
      if (CHART_LABELS.test(key)) {
        throw new Error(
          `${this.node.path}: labels.${key} is set by the chart (the recommended labels); remove it`,
        );
      }
    }

    const component = (name: string) => ({ 'app.kubernetes.io/component': name });
    const labelsOf = (name: string) => ({
      ...props.labels,
      ...component(name),
      ...chart.recommendedLabels(),
    });
    const labels = labelsOf('api');
    const hookLabels = labelsOf('migrate');
    this.selectorLabels = { ...component('api'), ...chart.selectorLabels() };
    const fullname = chart.fullname();

    this.serviceAccount = new KubeObject(
      this,
      'ServiceAccount',
      Kube.ServiceAccount,
      { name: fullname, labels },
      () => ({
        automountServiceAccountToken: false,
      }),
    );
    this.environment = new WorkloadEnvironment(this, 'Environment', {
      workload: props,
      labels,
      hookLabels,
      migration: props.migration !== undefined,
    });

    const image = Helm.choose(
      values.isSet('image.digest'),
      `${values.ref('image.repository')}@${values.ref('image.digest')}`,
      `${values.ref('image.repository')}:${values.ref('image.tag')}`,
    );
    const apiResources = values.ref('resources.api') as unknown as kplus.k8s.ResourceRequirements;
    const writableVolumes = api.writable.map((w) => emptyDir(w.name));
    const rollout = {
      maxSurge: props.rollout?.maxSurge ?? 1,
      maxUnavailable: props.rollout?.maxUnavailable ?? 0,
    };

    this.deployment = apiDeployment(this, 'Deployment', {
      name: fullname,
      labels,
      selector: this.selectorLabels,
      podAnnotations: () => this.environment.checksums(),
      rollout,
      terminationGracePeriodSeconds: api.terminationGracePeriodSeconds,
      initContainers: () => [
        redisSidecar(
          redis,
          values.ref('resources.redis') as unknown as kplus.k8s.ResourceRequirements,
        ),
      ],
      containers: () => [
        apiContainer(props.api, api, {
          image,
          env: this.environment.containerEnv(),
          resources: apiResources,
        }),
      ],
      volumes: [...writableVolumes, emptyDir(REDIS_DATA_VOLUME)],
    });

    const policyParts = { name: fullname, labels, selector: this.selectorLabels };
    this.service = loadBalancerService(this, 'Service', {
      options: props.service ?? {},
      name: fullname,
      labels,
      selector: this.selectorLabels,
      values,
    });
    this.podDisruptionBudget = podDisruptionBudget(this, 'PodDisruptionBudget', policyParts);
    this.horizontalPodAutoscaler = horizontalPodAutoscaler(this, 'HorizontalPodAutoscaler', {
      name: fullname,
      labels,
      deployment: fullname,
    });
    this.networkPolicy = networkPolicy(this, 'NetworkPolicy', {
      ...policyParts,
      metricsScrapers: api.metricsPort === undefined ? [] : api.metricsScrapers,
    });
    if (props.metrics) {
      if (api.metricsPort === undefined)
        throw new Error(
          `${this.node.path}: metrics need the pods' metrics port: set api.metricsPort`,
        );
      this.metrics = metricsObjects(this, {
        options: props.metrics,
        port: api.metricsPort,
        labels,
        podSelector: this.selectorLabels,
        deployment: fullname,
      });
    }

    if (props.migration) {
      const {
        name: _n,
        command: _c,
        ports: _p,
        startupProbe: _s,
        livenessProbe: _l,
        readinessProbe: _r,
        lifecycle: _lc,
        ...container
      } = apiContainer(props.api, api, {
        image,
        env: this.environment.hookEnv(),
        resources: apiResources,
      });
      this.migrationServiceAccount = migrationServiceAccount(this, 'MigrationServiceAccount', {
        name: chart.fullname('migrate'),
        labels: hookLabels,
      });
      this.migrationJob = migrationJob(this, 'MigrationJob', {
        options: props.migration,
        name: chart.fullname('migrate'),
        labels: hookLabels,
        serviceAccountName: chart.fullname('migrate'),
        container,
        volumes: writableVolumes,
      });
    }
    if (props.healthTest !== false) {
      // Inside the cluster every Service port is plain HTTP (TLS ends at the NLB): the first one.
      const port = servicePorts(props.service)[0]!.port;
      this.testPod = healthTestPod(this, 'HealthTest', {
        options: props.healthTest ?? {},
        name: chart.fullname('test-health'),
        labels: labelsOf('test'),
        url: `http://${fullname}:${port}${api.healthPath}`,
      });
    }
  }
}
