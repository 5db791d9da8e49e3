import { secretValueName } from '@fittech/shared';
import type * as kplus from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { createHash } from 'node:crypto';
import type { ChartValues } from '../chart/chart-values';
import { Helm, HelmChart } from '../chart/helm-chart';
import { Kube, KubeObject } from '../chart/kube-object';
import { goJson } from '../template/go';
import type { ApiWithRedisSidecarProps } from './props';
import { redisSettings } from './redis-sidecar';
import type { ApiWorkloadValues } from './values';

/** A secret variable with its key and documentation resolved. */
export interface ResolvedSecretVariable {
  readonly variable: string;
  readonly key: string;
  readonly description?: string;
  readonly pattern?: string;
}

const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** The secret variables of a workload, in declaration order. */
export function secretVariables(props: ApiWithRedisSidecarProps): ResolvedSecretVariable[] {
  return Object.entries(props.api.environment?.secrets ?? {}).map(([variable, v]) => {
    const s = typeof v === 'string' ? { key: v } : v;
    if (!SECRET_KEY.test(s.key)) {
      throw new Error(
        `api.environment.secrets.${variable}: the key "${s.key}" must be letters, digits, "-", "_" or "."`,
      );
    }
    return { variable, ...s };
  });
}

/**
 * The non-secret variables: the configured ones plus the sidecar's URL, which
 * the construct derives from the Redis port (a configured value that
 * contradicts it is refused, naming both settings).
 */
export function configVariables(props: ApiWithRedisSidecarProps): Record<string, string> {
  const config = { ...props.api.environment?.config };
  const redis = redisSettings(props.redis);
  const given = config[redis.urlVariable];
  if (given !== undefined && given !== redis.url) {
    throw new Error(
      `api.environment.config.${redis.urlVariable} is "${given}", but the Redis sidecar listens at ${redis.url} ` +
        `(redis.port ${redis.port}): leave ${redis.urlVariable} out, the construct sets it from redis.port`,
    );
  }
  config[redis.urlVariable] = redis.url;
  return config;
}

/** Every variable the chart sets (extraEnv may not redefine them). */
export function contractVariables(props: ApiWithRedisSidecarProps): string[] {
  const names = [
    ...Object.keys(configVariables(props)),
    ...secretVariables(props).map((s) => s.variable),
  ];
  const seen = new Set<string>();
  for (const name of names) {
    if (!ENV_NAME.test(name)) throw new Error(`environment variable "${name}" is not a valid name`);
    if (seen.has(name)) {
      throw new Error(
        `${name} is both in api.environment.config and api.environment.secrets: it must be one or the other`,
      );
    }
    seen.add(name);
  }
  return names;
}

const HOOK_ANNOTATIONS = {
  'helm.sh/hook': 'pre-install,pre-upgrade',
  'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
};

export interface WorkloadEnvironmentProps {
  readonly workload: ApiWithRedisSidecarProps;
  readonly labels: Readonly<Record<string, string>>;
  /** Labels of the migration hook's objects. */
  readonly hookLabels: Readonly<Record<string, string>>;
  /** Whether a migration Job needs the hook Secret. */
  readonly migration: boolean;
}

/**
 * The API's environment as objects: the ConfigMap of its non-secret variables,
 * the Secret of its secret values (when given), and for the migration hook,
 * which runs before either exists, a hook Secret of its own.
 *
 * The Secret's name and every `secretKeyRef` to it come from one expression, so
 * the pods never read a Secret that nobody creates: `secrets.existingSecret`
 * when set, else `<fullname>-secrets`.
 */
export class WorkloadEnvironment extends Construct {
  readonly config: Readonly<Record<string, string>>;
  readonly secrets: readonly ResolvedSecretVariable[];
  readonly configMap?: KubeObject<object>;
  readonly secret?: KubeObject<object>;
  readonly hookSecret?: KubeObject<object>;
  /** Name of the Secret the pods read. */
  readonly secretName: string;
  private readonly values: ChartValues<ApiWorkloadValues>;
  private readonly chart: HelmChart;

  constructor(scope: Construct, id: string, props: WorkloadEnvironmentProps) {
    super(scope, id);
    const chart = HelmChart.of(this);
    this.chart = chart;
    this.values = chart.values as unknown as ChartValues<ApiWorkloadValues>;
    this.config = configVariables(props.workload);
    this.secrets = secretVariables(props.workload);
    contractVariables(props.workload);
    const values = this.values;
    for (const s of this.secrets) values.expression(`secrets.${secretValueName(s.key)}`);

    if (Object.keys(this.config).length > 0) {
      this.configMap = new KubeObject(
        this,
        'ConfigMap',
        Kube.ConfigMap,
        { name: chart.fullname('config'), labels: props.labels },
        () => ({
          data: { ...this.config },
        }),
      );
    }
    this.secretName = Helm.choose(
      values.isSet('secrets.existingSecret'),
      values.ref('secrets.existingSecret'),
      chart.fullname('secrets'),
    );
    const first = this.secrets[0];
    if (first) {
      const given = values.isSet(`secrets.${secretValueName(first.key)}`);
      const stringData = () =>
        Object.fromEntries(
          this.secrets.map((s) => [s.key, values.ref(`secrets.${secretValueName(s.key)}`)]),
        );
      this.secret = new KubeObject(
        this,
        'Secret',
        Kube.Secret,
        { name: chart.fullname('secrets'), labels: props.labels },
        () => ({
          type: 'Opaque',
          stringData: stringData(),
        }),
      );
      chart.includeObjectWhen(this.secret, given);
      if (props.migration) {
        this.hookSecret = new KubeObject(
          this,
          'MigrationSecret',
          Kube.Secret,
          {
            name: chart.fullname('migrate-secrets'),
            labels: props.hookLabels,
            annotations: { ...HOOK_ANNOTATIONS, 'helm.sh/hook-weight': '-5' },
          },
          () => ({ type: 'Opaque', stringData: stringData() }),
        );
        chart.includeObjectWhen(this.hookSecret, given);
      }
    }
  }

  /** The API container's variables: ConfigMap keys, then Secret keys, then the chart value `extraEnv`. */
  containerEnv(): kplus.k8s.EnvVar[] {
    const configMapName = this.configMap ? this.chart.fullname('config') : '';
    return [
      ...Object.keys(this.config).map((name) => ({
        name,
        valueFrom: { configMapKeyRef: { name: configMapName, key: name } },
      })),
      ...this.secrets.map((s) => ({
        name: s.variable,
        valueFrom: { secretKeyRef: { name: this.secretName, key: s.key } },
      })),
      ...this.values.items('extraEnv'),
    ];
  }

  /**
   * The migration hook's variables: it runs before the ConfigMap and the Secret exist,
   * so the config values are inlined and the secrets come from the hook Secret.
   */
  hookEnv(): kplus.k8s.EnvVar[] {
    const first = this.secrets[0];
    const secretName = first
      ? Helm.choose(
          this.values.isSet(`secrets.${secretValueName(first.key)}`),
          this.chart.fullname('migrate-secrets'),
          this.secretName,
        )
      : this.secretName;
    return [
      ...Object.entries(this.config).map(([name, value]) => ({ name, value })),
      ...this.secrets.map((s) => ({
        name: s.variable,
        valueFrom: { secretKeyRef: { name: secretName, key: s.key } },
      })),
      ...this.values.items('extraEnv'),
    ];
  }

  /** Pod annotations that roll the pods when the configuration or the secrets change. */
  checksums(): Record<string, string> {
    return {
      ...(this.configMap
        ? { 'checksum/config': createHash('sha256').update(goJson(this.config)).digest('hex') }
        : {}),
      ...(this.secrets.length > 0 ? { 'checksum/secrets': this.values.checksum('secrets') } : {}),
    };
  }
}
