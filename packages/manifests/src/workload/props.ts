/**
 * What an {@link ApiWithRedisSidecar} is made of, decided when the chart is
 * built. Everything here is fixed in the templates (ports, paths, commands,
 * the environment contract); what a deployer chooses at install time is a
 * chart value (see `apiWorkloadValues`).
 */

/** A NetworkPolicy peer (`from` entry): pods by label, in namespaces by label. */
export interface NetworkPolicyPeer {
  readonly namespaceSelector?: { readonly matchLabels: Readonly<Record<string, string>> };
  readonly podSelector?: { readonly matchLabels: Readonly<Record<string, string>> };
}

/** A secret variable of the API: the key it has in the Secret, and how its chart value is documented. */
export interface SecretVariable {
  /** Key in the Secret (lower case, digits, "-", "_", "."); its chart value is `secrets.<secretValueName(key)>`. */
  readonly key: string;
  /** What it is (its values.yaml `@param` line). @default - "<VARIABLE>." */
  readonly description?: string;
  /**
   * A regular expression a given value must match (RE2- and ECMAScript-compatible, no lookarounds).
   * @default - any string without control characters
   */
  readonly pattern?: string;
}

/** The API's environment: non-secret variables (a ConfigMap) and secret ones (a Secret). */
export interface ApiEnvironmentOptions {
  /** Variable → value; they land in the ConfigMap, which the container reads with `envFrom`. @default - none */
  readonly config?: Readonly<Record<string, string>>;
  /** Variable → key in the Secret (or its full description). @default - none */
  readonly secrets?: Readonly<Record<string, string | SecretVariable>>;
}

export interface ApiContainerOptions {
  /** Port the HTTP server listens on; the container port named `http`. */
  readonly port: number;
  /**
   * Port of a probes-and-metrics listener: the container port named `metrics`, which the
   * liveness, readiness and startup probes then use and the Service never exposes, so no
   * client can drive the kubelet's view of the pod. Must differ from `port` and the
   * sidecar's port. @default - none: the probes ask the `http` port
   */
  readonly metricsPort?: number;
  /**
   * With `metricsPort`: who the NetworkPolicy admits to the `metrics` port besides the kubelet (the node's traffic
   * to its pods is always allowed, so the probes need no rule): the pods of a Prometheus.
   * @default - pods labelled `app.kubernetes.io/name: prometheus` in the namespace `monitoring`
   *   (kube-prometheus-stack's Prometheus, in its usual namespace)
   */
  readonly metricsScrapers?: readonly NetworkPolicyPeer[];
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
  /**
   * The environment contract. The variable `REDIS_URL` is set by the construct to the
   * sidecar's address (name it differently with `redis.urlVariable`). @default - no variables
   */
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
  /** Image pinned to a tag or a digest (never "latest"). @default "redis:7.4.2-alpine" */
  readonly image?: string;
  /** Port on 127.0.0.1. @default 6379 */
  readonly port?: number;
  /** `maxmemory`, MiB, evicted with allkeys-lru; must stay below the sidecar's memory limit. @default 48 */
  readonly maxMemoryMiB?: number;
  /** Numeric user (the official image's `redis`). @default 999 */
  readonly runAsUser?: number;
  /** The API's variable that receives the sidecar's URL (`redis://127.0.0.1:<port>/0`). @default "REDIS_URL" */
  readonly urlVariable?: string;
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
  /**
   * A TLS listener terminated at the NLB with an ACM certificate, forwarding to
   * the pods' plain `http` port. With it, the plain-HTTP listener on `port`
   * exists only with `tls.plainHttp`. @default - no TLS: plain HTTP on `port`
   */
  readonly tls?: LoadBalancerTlsOptions;
}

export interface LoadBalancerTlsOptions {
  /** The ACM certificate (in the load balancer's region). */
  readonly certificateArn: string;
  /** Port of the TLS listener. @default 443 */
  readonly port?: number;
  /** The NLB security policy. @default "ELBSecurityPolicy-TLS13-1-2-2021-06" */
  readonly policy?: string;
  /**
   * Keep the plain-HTTP listener on `port` next to the TLS one. An NLB cannot
   * redirect to HTTPS, so an open plain port serves the API in clear text.
   * @default false
   */
  readonly plainHttp?: boolean;
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
  /** Image with curl, pinned to a tag or a digest. @default "curlimages/curl:8.11.1" */
  readonly image?: string;
  /** Numeric user of that image. @default 100 */
  readonly runAsUser?: number;
}

/** One rule of a Prometheus rule group: a recording rule (`record`) or an alert (`alert`). */
export interface PrometheusRuleSpec {
  readonly record?: string;
  readonly alert?: string;
  /** The PromQL expression. */
  readonly expr: string;
  /** How long an alert's expression must hold before it fires. @default - at once */
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** An alert's summary, description and runbook_url (plain text: no template syntax). */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A Prometheus rule group, as a PrometheusRule's `spec.groups[]` holds it. */
export interface PrometheusRuleGroup {
  readonly name: string;
  /** Evaluation interval. @default - Prometheus's global evaluation_interval */
  readonly interval?: string;
  readonly rules: readonly PrometheusRuleSpec[];
}

/** Where the rules find the workload's series (see `MetricsTarget`). */
export interface MetricsRuleTarget {
  readonly namespace: string;
  readonly job: string;
  readonly podPattern: string;
}

/**
 * The API's Prometheus metrics: served on the container port named `metrics` (`api.metricsPort`,
 * which they require), scraped
 * through a ClusterIP Service of their own (`<fullname>-metrics`) by a ServiceMonitor, with
 * alert rules in a PrometheusRule; each object only when its chart value enables it.
 */
export interface MetricsOptions {
  /** The metrics path. @default "/metrics" */
  readonly path?: string;
  /**
   * The rule groups, given where the series come from (namespace, job, pod names as
   * references of the release). @default - no PrometheusRule
   */
  readonly rules?: (target: MetricsRuleTarget) => readonly PrometheusRuleGroup[];
}

export interface ApiWithRedisSidecarProps {
  /** The API container. */
  readonly api: ApiContainerOptions;
  /** The Redis cache sidecar. @default - the defaults of RedisSidecarOptions */
  readonly redis?: RedisSidecarOptions;
  /** The LoadBalancer Service. @default - the defaults of LoadBalancerOptions */
  readonly service?: LoadBalancerOptions;
  /** Labels added to every object and pod (never selector labels). @default - none */
  readonly labels?: Readonly<Record<string, string>>;
  /** Rolling update; the default never drops below the replica count (and so never below the PDB). @default { maxSurge: 1, maxUnavailable: 0 } */
  readonly rollout?: { readonly maxSurge?: number; readonly maxUnavailable?: number };
  /** A pre-install/pre-upgrade hook Job that migrates the database. @default - none */
  readonly migration?: MigrationOptions;
  /** Prometheus metrics: a metrics Service, a ServiceMonitor and a PrometheusRule (chart values turn them on). @default - none */
  readonly metrics?: MetricsOptions;
  /** A `helm test` Pod that calls the health path through the Service; false for none. @default - the defaults of HealthTestOptions */
  readonly healthTest?: HealthTestOptions | false;
}
