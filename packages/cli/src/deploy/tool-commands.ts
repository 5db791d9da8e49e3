/**
 * The exact aws, kubectl, helm and terraform command lines of a deployment, built
 * from the configuration alone: every name, namespace and port comes from
 * `resourceNames(config)`, `selectorLabels(config)` and the config's fields,
 * never from a literal. Pure functions, so tests can assert them one by one.
 */
import { resourceNames, selectorLabels, type FitTechConfig } from '@fittech/shared';
import { command, type Command } from './command';

/** Lines of container logs printed per container by `diagnose`. */
export const LOG_TAIL_LINES = 500;

/** `app.kubernetes.io/name=fittech-api,app.kubernetes.io/instance=fittech`: the release's pods. */
export function podSelector(config: FitTechConfig): string {
  return Object.entries(selectorLabels(config))
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}

export function updateKubeconfig(config: FitTechConfig): Command {
  const { cluster } = resourceNames(config);
  return command(
    'aws',
    'eks',
    'update-kubeconfig',
    '--name',
    cluster,
    '--region',
    config.region,
    '--alias',
    cluster,
  );
}

export function helmLint(config: FitTechConfig, chartDir: string, valuesFile: string): Command {
  const { namespace } = resourceNames(config);
  return command(
    'helm',
    'lint',
    chartDir,
    '--namespace',
    namespace,
    '--values',
    valuesFile,
    '--strict',
  );
}

export function helmUpgrade(config: FitTechConfig, chartDir: string, valuesFile: string): Command {
  const { release, namespace } = resourceNames(config);
  return command(
    'helm',
    'upgrade',
    '--install',
    release,
    chartDir,
    '--namespace',
    namespace,
    '--create-namespace',
    '--atomic',
    '--wait',
    '--timeout',
    config.pipeline.helmTimeout,
    '--values',
    valuesFile,
  );
}

export function rolloutStatus(config: FitTechConfig, timeout: string): Command {
  const { deployment, namespace } = resourceNames(config);
  return command(
    'kubectl',
    'rollout',
    'status',
    `deployment/${deployment}`,
    '--namespace',
    namespace,
    '--timeout',
    timeout,
  );
}

/** `kubectl get pods` for the pods selected by the release's labels. */
function releasePods(config: FitTechConfig, output: 'json' | 'wide'): Command {
  const { namespace } = resourceNames(config);
  return command(
    'kubectl',
    'get',
    'pods',
    '--namespace',
    namespace,
    '--selector',
    podSelector(config),
    '--output',
    output,
  );
}

/** The release's pods as JSON (names and containers), selected by the release's labels. */
export function listPods(config: FitTechConfig): Command {
  return releasePods(config, 'json');
}

/** The release's pods with their nodes and IPs, for a person reading the diagnostics. */
export function podsWide(config: FitTechConfig): Command {
  return releasePods(config, 'wide');
}

export function describePod(config: FitTechConfig, pod: string): Command {
  return command('kubectl', 'describe', 'pod', pod, '--namespace', resourceNames(config).namespace);
}

/** Logs of one container; `previous` shows the last terminated instance (the crash). */
export function containerLogs(
  config: FitTechConfig,
  pod: string,
  container: string,
  previous: boolean,
): Command {
  return command(
    'kubectl',
    'logs',
    pod,
    '--namespace',
    resourceNames(config).namespace,
    '--container',
    container,
    ...(previous ? ['--previous'] : []),
    '--timestamps',
    `--tail=${LOG_TAIL_LINES}`,
  );
}

export function events(config: FitTechConfig): Command {
  return command(
    'kubectl',
    'get',
    'events',
    '--namespace',
    resourceNames(config).namespace,
    '--sort-by=.lastTimestamp',
  );
}

/** The migration hook Job is kept when it fails (hook-delete-policy hook-succeeded). */
export function describeMigrationJob(config: FitTechConfig): Command {
  const { migrationJob, namespace } = resourceNames(config);
  return command('kubectl', 'describe', 'job', migrationJob, '--namespace', namespace);
}

export function migrationJobLogs(config: FitTechConfig): Command {
  const { migrationJob, namespace } = resourceNames(config);
  return command(
    'kubectl',
    'logs',
    `job/${migrationJob}`,
    '--namespace',
    namespace,
    '--all-containers',
    '--timestamps',
    `--tail=${LOG_TAIL_LINES}`,
  );
}

/** Prints `status.loadBalancer.ingress[0].hostname` of the Service (empty until AWS assigned it). */
export function serviceHostname(
  config: FitTechConfig,
  options: { ignoreNotFound?: boolean } = {},
): Command {
  const { service, namespace } = resourceNames(config);
  return command(
    'kubectl',
    'get',
    'service',
    service,
    '--namespace',
    namespace,
    '--output',
    'jsonpath={.status.loadBalancer.ingress[0].hostname}',
    ...(options.ignoreNotFound ? ['--ignore-not-found'] : []),
  );
}

export function helmTest(config: FitTechConfig, timeout: string): Command {
  const { release, namespace } = resourceNames(config);
  return command('helm', 'test', release, '--namespace', namespace, '--logs', '--timeout', timeout);
}

export function helmUninstall(config: FitTechConfig, timeout: string): Command {
  const { release, namespace } = resourceNames(config);
  return command(
    'helm',
    'uninstall',
    release,
    '--namespace',
    namespace,
    '--wait',
    '--timeout',
    timeout,
    '--ignore-not-found',
  );
}

/**
 * Waits until the Service object is gone. Its `service.kubernetes.io/load-balancer-cleanup`
 * finalizer keeps it until the cloud provider has deleted the load balancer.
 */
export function waitForServiceDeletion(config: FitTechConfig, timeout: string): Command {
  const { service, namespace } = resourceNames(config);
  return command(
    'kubectl',
    'wait',
    '--for=delete',
    `service/${service}`,
    '--namespace',
    namespace,
    `--timeout=${timeout}`,
  );
}

export function listClusters(config: FitTechConfig): Command {
  return command('aws', 'eks', 'list-clusters', '--region', config.region, '--output', 'json');
}

export function describeLoadBalancers(config: FitTechConfig): Command {
  return command(
    'aws',
    'elbv2',
    'describe-load-balancers',
    '--region',
    config.region,
    '--output',
    'json',
  );
}

/** Upserts an alias A record `name` → the load balancer in a Route 53 hosted zone (Route 53 is global: no region). */
export function upsertAliasRecord(
  hostedZoneId: string,
  name: string,
  target: { readonly dnsName: string; readonly hostedZoneId: string },
): Command {
  const changeBatch = {
    Comment: 'fittech-deploy dns: the API hostname to its load balancer',
    Changes: [
      {
        Action: 'UPSERT',
        ResourceRecordSet: {
          Name: name,
          Type: 'A',
          AliasTarget: {
            HostedZoneId: target.hostedZoneId,
            DNSName: target.dnsName,
            // One simple record: there is nothing to fail over to.
            EvaluateTargetHealth: false,
          },
        },
      },
    ],
  };
  return command(
    'aws',
    'route53',
    'change-resource-record-sets',
    '--hosted-zone-id',
    hostedZoneId,
    '--change-batch',
    JSON.stringify(changeBatch),
    '--output',
    'json',
  );
}

/** Waits (the AWS CLI's waiter: every 30 s, at most 60 times) until a Route 53 change is INSYNC. */
export function waitForRecordChange(changeId: string): Command {
  return command('aws', 'route53', 'wait', 'resource-record-sets-changed', '--id', changeId);
}

export function terraformInit(terraformDir: string): Command {
  return command('terraform', `-chdir=${terraformDir}`, 'init', '-input=false');
}

/** Reads one output without printing it (the caller captures stdout). */
export function terraformOutput(terraformDir: string, name: string): Command {
  return command('terraform', `-chdir=${terraformDir}`, 'output', '-raw', name);
}

export function terraformDestroy(terraformDir: string): Command {
  return command(
    'terraform',
    `-chdir=${terraformDir}`,
    'destroy',
    '-auto-approve',
    '-input=false',
    '-lock-timeout=5m',
  );
}

/** Prints a Secrets Manager secret's string (captured, never echoed). */
export function secretString(config: FitTechConfig, secretId: string): Command {
  return command(
    'aws',
    'secretsmanager',
    'get-secret-value',
    '--secret-id',
    secretId,
    '--region',
    config.region,
    '--query',
    'SecretString',
    '--output',
    'text',
  );
}

/** The Cluster Autoscaler's chart (kubernetes/autoscaler), pinned. */
export const CLUSTER_AUTOSCALER_CHART = {
  repository: 'https://kubernetes.github.io/autoscaler',
  name: 'cluster-autoscaler',
  version: '9.43.1',
} as const;

/**
 * The autoscaler's image follows the cluster's Kubernetes minor version, as
 * its compatibility table requires (`v1.34.0` for a 1.34 cluster).
 */
export function clusterAutoscalerImageTag(config: FitTechConfig): string {
  return `v${config.cluster.version}.0`;
}

export function installClusterAutoscaler(config: FitTechConfig): Command {
  const { cluster, clusterAutoscaler: ca } = resourceNames(config);
  const set = (key: string, value: string) => ['--set-string', `${key}=${value}`];
  return command(
    'helm',
    'upgrade',
    '--install',
    ca.release,
    CLUSTER_AUTOSCALER_CHART.name,
    '--repo',
    CLUSTER_AUTOSCALER_CHART.repository,
    '--version',
    CLUSTER_AUTOSCALER_CHART.version,
    '--namespace',
    ca.namespace,
    '--atomic',
    '--wait',
    '--timeout',
    config.pipeline.helmTimeout,
    ...set('cloudProvider', 'aws'),
    ...set('awsRegion', config.region),
    // Finds the node group's Auto Scaling group by the tags EKS puts on it.
    ...set('autoDiscovery.clusterName', cluster),
    ...set('image.tag', clusterAutoscalerImageTag(config)),
    // The ServiceAccount the Pod Identity association names (no IRSA annotation needed).
    ...set('rbac.serviceAccount.name', ca.serviceAccount),
    ...set('fullnameOverride', ca.release),
    ...set('extraArgs.balance-similar-node-groups', 'true'),
    ...set('extraArgs.skip-nodes-with-system-pods', 'false'),
  );
}
