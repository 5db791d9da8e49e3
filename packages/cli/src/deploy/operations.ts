/**
 * The deployment's operational steps (issue 6, steps 4–8) as functions over a
 * resolved config and a CommandRunner. With a DryRunRunner they print the
 * exact commands instead of running them.
 */
import {
  apiEnvironment,
  apiEnvironmentManifest,
  defaultImageRepository,
  publicHealthUrl,
  resourceNames,
  retry,
  RetryError,
  secretValueName,
  selectorLabels,
  TERRAFORM_OUTPUTS,
  type ApiVariableName,
  type FitTechConfig,
} from '@fittech/shared';
import { formatCommand, type Command } from './command';
import * as k from './tool-commands';
import { formatDuration } from './duration';
import { backoffDelays, checkHealth } from './healthcheck';
import type { CommandRunner, Io, RunOptions } from './runner';
import {
  NO_OVERRIDES,
  ReleaseValuesError,
  releaseCapacityProblems,
  valueAt,
  type ReleaseOverrides,
} from './release-overrides';
import { DRY_RUN_VALUES_PATH, withValuesFile, type ReleaseValues } from './values';

/** The Terraform output holding the API's DATABASE_URL. */
export const DATABASE_URL_OUTPUT = TERRAFORM_OUTPUTS.databaseUrl;

/** What a dry run assumes `terraform output database_url` prints (a URL, so the checks after it run). */
const DRY_RUN_DATABASE_URL = `postgresql://<terraform output ${DATABASE_URL_OUTPUT}>`;

/** A step failed; the message says what, where and what to do. */
export class DeployError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployError';
  }
}

export interface DeployContext {
  readonly config: FitTechConfig;
  readonly runner: CommandRunner;
  readonly io: Io;
  /** Where secrets come from (never from flags): normally `process.env`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How to invoke this CLI for the same config, for hints in messages (e.g. `fittech-deploy diagnose --env dev`). */
  readonly invocation: (command: string) => string;
  /** Injected by tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Lets the CLI delete the secret values file if it is interrupted by a signal. */
  readonly registerCleanup?: (cleanup: () => void) => () => void;
}

const inGitHubActions = (ctx: DeployContext) => ctx.env.GITHUB_ACTIONS === 'true';

async function mustRun(
  ctx: DeployContext,
  cmd: Command,
  failure: (exitCode: number) => string,
  options?: RunOptions,
): Promise<string> {
  const result = await ctx.runner.run(cmd, options);
  if (result.exitCode !== 0) throw new DeployError(failure(result.exitCode));
  return result.stdout;
}

// ---------------------------------------------------------------- kubeconfig

export async function kubeconfig(ctx: DeployContext): Promise<void> {
  const { cluster } = resourceNames(ctx.config);
  await mustRun(
    ctx,
    k.updateKubeconfig(ctx.config),
    (code) =>
      `aws eks update-kubeconfig failed for cluster "${cluster}" in ${ctx.config.region} (exit ${code}). ` +
      'Check that the cluster exists (terraform apply), and that your AWS identity may call ' +
      'eks:DescribeCluster and has an EKS access entry (cluster.adminPrincipalArns in the config).',
  );
}

// ---------------------------------------------------------------- helm upgrade

export interface ImageOptions {
  /** The ECR registry host (`<account>.dkr.ecr.<region>.amazonaws.com`); the repository name comes from the config. */
  readonly registry?: string;
  /** Default: the config's api.imageTag. */
  readonly tag?: string;
  /** `sha256:…` from the image push. */
  readonly digest?: string;
}

export function releaseImage(config: FitTechConfig, options: ImageOptions): ReleaseValues['image'] {
  const { ecrRepository } = resourceNames(config);
  let repository: string;
  if (options.registry !== undefined) {
    const registry = options.registry.replace(/\/+$/, '');
    if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?$/i.test(registry)) {
      throw new DeployError(
        `--registry must be a registry host such as 123456789012.dkr.ecr.${config.region}.amazonaws.com (got "${options.registry}")`,
      );
    }
    repository = `${registry}/${ecrRepository}`;
  } else if (config.accountId) {
    repository = defaultImageRepository(config);
  } else {
    throw new DeployError(
      `the image registry is unknown: pass --registry <account>.dkr.ecr.${config.region}.amazonaws.com ` +
        '(the output of aws-actions/amazon-ecr-login) or set accountId in the config.',
    );
  }
  const tag = options.tag ?? config.api.imageTag;
  if (!/^[\w][\w.-]{0,127}$/.test(tag) || tag === 'latest') {
    throw new DeployError(`--image-tag must be a Docker tag other than "latest" (got "${tag}")`);
  }
  if (options.digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(options.digest)) {
    throw new DeployError(
      `--image-digest must look like sha256:<64 hex digits> (got "${options.digest}")`,
    );
  }
  return { repository, tag, ...(options.digest ? { digest: options.digest } : {}) };
}

export interface HelmUpgradeOptions extends ImageOptions {
  /** Default `dist/chart`. */
  readonly chartDir?: string;
  /** Where `terraform output database_url` is read when DATABASE_URL is not set. Default `dist/terraform`. */
  readonly terraformDir?: string;
  /** Chart values given at deploy time (`--values`, `--set`); held to the capacity rule first. */
  readonly overrides?: ReleaseOverrides;
}

/**
 * Refuses deploy-time values whose replica counts (or requests) do not fit
 * the node group at nodeGroup.maxSize: the rule pnpm synth applies to the
 * config, applied before any command runs.
 */
export function checkReleaseOverrides(config: FitTechConfig, overrides: ReleaseOverrides): void {
  const problems = releaseCapacityProblems(config, overrides);
  if (problems.length > 0) {
    throw new ReleaseValuesError(
      problems,
      `release values for env "${config.environment}" (given at deploy time)`,
    );
  }
}

/** The API's secret variables (`DATABASE_URL`, `SECRET_KEY`, …) and their keys in its Secret. */
function secretVariables(config: FitTechConfig): [ApiVariableName, string][] {
  return Object.entries(apiEnvironmentManifest(config).secretKeys) as [ApiVariableName, string][];
}

/** Validates a secret by the API's own contract; the message never contains the value. */
function checkSecret(name: ApiVariableName, value: string, from: string): string {
  const result = apiEnvironment[name].schema.safeParse(value);
  if (!result.success) {
    throw new DeployError(
      `${name} (${from}) ${result.error.issues[0]?.message ?? 'is invalid'}; the value is not shown.`,
    );
  }
  return value;
}

/**
 * The secret values of the release, by chart value name. Each secret variable
 * of the API's contract comes from the environment variable of the same name;
 * DATABASE_URL, when not set, from the Terraform output database_url. They are
 * checked in a dry run too, so it fails where the real run would.
 */
export async function releaseSecrets(
  ctx: DeployContext,
  terraformDir: string,
): Promise<ReleaseValues['secrets']> {
  const { runner, env, config } = ctx;
  const variables = secretVariables(config);
  const missing = variables
    .map(([name]) => name)
    .filter((name) => name !== 'DATABASE_URL' && !env[name]);
  if (missing.length > 0) {
    throw new DeployError(
      `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set. Export ${missing.length === 1 ? 'it' : 'them'} ` +
        'from your secret store (the workflow maps the GitHub secrets of the same names); secrets are read ' +
        'only from the environment, never from flags, so they cannot show up in the process list or a log.',
    );
  }
  const secrets: Record<string, string> = {};
  for (const [name, secretKey] of variables) {
    const valueName = secretValueName(secretKey);
    let value = env[name];
    let from = `from $${name}`;
    if (name === 'DATABASE_URL' && !value) {
      ({ value, from } = await databaseUrlFromTerraform(ctx, terraformDir));
    }
    runner.explain(`secrets.${valueName} comes ${from}`);
    secrets[valueName] = checkSecret(name, value ?? '', from);
  }
  return secrets;
}

/**
 * DATABASE_URL from the Terraform outputs. With `database.auth: iam` (the
 * default) it is the application role's URL without a password: nothing
 * secret passes through here. With `password` (development) the master
 * credentials are read at deploy time from the secret where RDS keeps them,
 * put into the URL and masked; they are stored nowhere but the release's Secret.
 */
async function databaseUrlFromTerraform(
  ctx: DeployContext,
  terraformDir: string,
): Promise<{ value: string; from: string }> {
  const output = async (name: string, dryRunStdout: string) =>
    (
      await mustRun(
        ctx,
        k.terraformOutput(terraformDir, name),
        (code) =>
          `could not read the Terraform output ${name} from ${terraformDir} (exit ${code}). ` +
          `Run terraform -chdir=${terraformDir} init and apply first, or set DATABASE_URL.`,
        { capture: true, dryRunStdout },
      )
    ).trim();
  const url = await output(DATABASE_URL_OUTPUT, DRY_RUN_DATABASE_URL);
  if (ctx.config.database.auth === 'iam') {
    return {
      value: url,
      from: `from terraform output ${DATABASE_URL_OUTPUT} (IAM auth, no password)`,
    };
  }
  const secretArn = await output(
    TERRAFORM_OUTPUTS.dbMasterUserSecretArn,
    '<terraform output db_master_user_secret_arn>',
  );
  const secret = await mustRun(
    ctx,
    k.secretString(ctx.config, secretArn),
    (code) =>
      `could not read the RDS master secret ${secretArn} (exit ${code}): the deploy role needs ` +
      'secretsmanager:GetSecretValue on it, or set DATABASE_URL.',
    { capture: true, dryRunStdout: '{"username":"<master>","password":"<master>"}' },
  );
  let credentials: { username?: unknown; password?: unknown };
  try {
    credentials = JSON.parse(secret) as typeof credentials;
  } catch {
    throw new DeployError(
      `the RDS master secret ${secretArn} is not JSON; the value is not shown.`,
    );
  }
  if (typeof credentials.username !== 'string' || typeof credentials.password !== 'string') {
    throw new DeployError(
      `the RDS master secret ${secretArn} has no username and password; the value is not shown.`,
    );
  }
  // The Actions runner then masks the password in every later log line.
  if (inGitHubActions(ctx)) ctx.io.stdout.write(`::add-mask::${credentials.password}\n`);
  // The output's user (the application role) gives way to the master user and its password.
  const userInfo = `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}@`;
  return {
    value: url.replace(/^(postgres(?:ql)?:\/\/)(?:[^@/?#]*@)?/, `$1${userInfo}`),
    from: `from terraform output ${DATABASE_URL_OUTPUT} as the master user of ${TERRAFORM_OUTPUTS.dbMasterUserSecretArn} (database.auth: password)`,
  };
}

/**
 * Installs or upgrades the Cluster Autoscaler (kube-system), which resizes the
 * node group between nodeGroup.minSize and maxSize when pods cannot be
 * scheduled. Its AWS permissions come from the Pod Identity association that
 * Terraform made for its ServiceAccount.
 */
export async function clusterAutoscaler(ctx: DeployContext): Promise<void> {
  const { clusterAutoscaler: ca } = resourceNames(ctx.config);
  await mustRun(
    ctx,
    k.installClusterAutoscaler(ctx.config),
    (code) =>
      `helm upgrade --install ${ca.release} failed in namespace ${ca.namespace} (exit ${code}); ` +
      '--atomic rolled it back. The node group keeps its size; the API is not affected.',
  );
}

/** `helm lint`, then `helm upgrade --install … --atomic --wait`, with the secrets in a 0600 values file. */
export async function helmUpgrade(
  ctx: DeployContext,
  options: HelmUpgradeOptions = {},
): Promise<void> {
  const { config, runner } = ctx;
  const chartDir = options.chartDir ?? 'dist/chart';
  const overrides = options.overrides ?? NO_OVERRIDES;
  checkReleaseOverrides(config, overrides);
  const image = releaseImage(config, options);
  const secrets = await releaseSecrets(ctx, options.terraformDir ?? 'dist/terraform');
  const values: ReleaseValues = { ...overrides.values, image, secrets };
  const { release, namespace } = resourceNames(config);

  const install = async (valuesFile: string) => {
    await mustRun(
      ctx,
      k.helmLint(config, chartDir, valuesFile),
      (code) =>
        `helm lint ${chartDir} failed (exit ${code}): the chart or the values above are invalid; ` +
        'run pnpm synth and check the chart, nothing was installed.',
    );
    const upgrade = await runner.run(k.helmUpgrade(config, chartDir, valuesFile));
    if (upgrade.exitCode !== 0) {
      runner.note(
        `helm upgrade failed (exit ${upgrade.exitCode}); diagnostics of release ${release} follow`,
      );
      await diagnose(ctx);
      throw new DeployError(
        `helm upgrade --install ${release} failed in namespace ${namespace} (exit ${upgrade.exitCode}); ` +
          '--atomic rolled the release back. The pods, logs, the migration Job and the events are printed above.',
      );
    }
  };

  await runner.effect(
    `writes ${DRY_RUN_VALUES_PATH} (directory 0700, file 0600, removed afterwards):\n` +
      `  image.repository=${image.repository} image.tag=${image.tag}` +
      (image.digest ? ` image.digest=${image.digest}` : '') +
      [...overrides.origins]
        .map(
          ([path, origin]) =>
            `\n  ${path}=${JSON.stringify(valueAt(overrides.values, path))} (${origin})`,
        )
        .join('') +
      `\n  ${Object.keys(secrets)
        .map((name) => `secrets.${name}`)
        .join(', ')} (values never printed)`,
    () => withValuesFile(values, install, ctx.registerCleanup),
    () => install(DRY_RUN_VALUES_PATH),
  );
}

// ---------------------------------------------------------------- rollout and diagnose

export interface RolloutOptions {
  /** kubectl's --timeout; default the config's pipeline.helmTimeout. */
  readonly timeout?: string;
}

/** `kubectl rollout status`; when it fails, prints the diagnostics and fails. */
export async function rollout(ctx: DeployContext, options: RolloutOptions = {}): Promise<void> {
  const { deployment, namespace } = resourceNames(ctx.config);
  const timeout = options.timeout ?? ctx.config.pipeline.helmTimeout;
  const result = await ctx.runner.run(k.rolloutStatus(ctx.config, timeout));
  if (result.exitCode === 0) return;
  ctx.runner.note(`deployment/${deployment} did not roll out; diagnostics follow`);
  await diagnose(ctx);
  throw new DeployError(
    `deployment/${deployment} in namespace ${namespace} did not finish rolling out within ${timeout} ` +
      '(exit ' +
      result.exitCode +
      "). The pods, their containers' logs (current and previous), the migration Job and the events are printed above.",
  );
}

/** A pod to diagnose and the containers whose logs to print. */
export interface PodTarget {
  readonly name: string;
  readonly containers: readonly string[];
}

/** Where `diagnose` gets the release's pods from. */
export type PodSource =
  /** Ask the cluster (`kubectl get pods -l <selector> -o json`). */
  | { readonly kind: 'cluster' }
  /** Pod names given by hand; their containers are the config's (api and redis). */
  | { readonly kind: 'names'; readonly names: readonly string[] }
  /** A `kubectl get pods -o json` document (a file, in a dry run without a cluster). */
  | { readonly kind: 'json'; readonly json: string; readonly source: string };

interface PodJson {
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: { initContainers?: { name: string }[]; containers?: { name: string }[] };
}

/**
 * The pods of a `kubectl get pods -o json` list that carry every one of the
 * release's selector labels, with all their containers (init containers such
 * as the Redis sidecar first, as the pod runs them).
 */
export function selectPods(config: FitTechConfig, json: string, source: string): PodTarget[] {
  let document: { items?: PodJson[] };
  try {
    document = JSON.parse(json) as { items?: PodJson[] };
  } catch (error) {
    throw new DeployError(
      `${source} is not JSON (${(error as Error).message}); expected the output of kubectl get pods -o json`,
    );
  }
  if (!document || !Array.isArray(document.items)) {
    throw new DeployError(
      `${source} has no "items" list; expected the output of kubectl get pods -o json`,
    );
  }
  const wanted = Object.entries(selectorLabels(config));
  return document.items
    .filter((pod) => wanted.every(([key, value]) => pod.metadata?.labels?.[key] === value))
    .map((pod) => ({
      name: pod.metadata?.name ?? '',
      containers: [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map(
        (c) => c.name,
      ),
    }))
    .filter((pod) => pod.name !== '')
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Runs a diagnostic command; a failure (e.g. no previous container) is noted, not fatal. */
async function show(ctx: DeployContext, cmd: Command): Promise<void> {
  const result = await ctx.runner.run(cmd);
  if (result.exitCode !== 0)
    ctx.runner.note(`(exit ${result.exitCode}: ${formatCommand(cmd)}; continuing)`);
}

/**
 * For the release's pods: `get pods -o wide`, `describe`, the logs of every
 * container (current and `--previous`), the migration hook Job, and the
 * namespace's events sorted by time (most recent last). Best effort: it prints
 * everything it can and never fails on a missing log.
 */
export async function diagnose(
  ctx: DeployContext,
  source: PodSource = { kind: 'cluster' },
): Promise<PodTarget[]> {
  const { config, runner } = ctx;
  const names = resourceNames(config);
  let pods: PodTarget[] | undefined;
  if (source.kind === 'names') {
    pods = source.names.map((name) => ({
      name,
      containers: [names.containers.api, names.containers.redis],
    }));
  } else if (source.kind === 'json') {
    pods = selectPods(config, source.json, source.source);
  } else {
    const list = () => runner.run(k.listPods(config), { capture: true });
    pods = await runner.effect(
      '',
      async () => {
        const listed = await list();
        if (listed.exitCode !== 0) {
          runner.note(
            `(could not list the pods: exit ${listed.exitCode}; continuing with the events)`,
          );
          return undefined;
        }
        try {
          return selectPods(config, listed.stdout, 'the output of kubectl get pods');
        } catch (error) {
          runner.note(`(${(error as Error).message}; continuing with the events)`);
          return undefined;
        }
      },
      async () => {
        await list();
        runner.explain(
          'the pods are known only at run time: pass --pods a,b or --pods-json <file> to list their commands',
        );
        return undefined;
      },
    );
  }

  await show(ctx, k.podsWide(config));
  if (pods !== undefined && pods.length === 0) {
    runner.note(
      `no pods match the release's labels ${k.podSelector(config)} in namespace ${names.namespace}`,
    );
  }
  for (const pod of pods ?? []) {
    await show(ctx, k.describePod(config, pod.name));
    for (const container of pod.containers) {
      await show(ctx, k.containerLogs(config, pod.name, container, false));
      await show(ctx, k.containerLogs(config, pod.name, container, true));
    }
  }
  await show(ctx, k.describeMigrationJob(config));
  await show(ctx, k.migrationJobLogs(config));
  await show(ctx, k.events(config));
  return pods ?? [];
}

// ---------------------------------------------------------------- endpoint and health

export interface PollOptions {
  /** Give up after this long. */
  readonly timeoutMs: number;
  /** Wait between two polls. */
  readonly intervalMs: number;
}

export const DEFAULT_ENDPOINT_POLL: PollOptions = { timeoutMs: 10 * 60_000, intervalMs: 10_000 };

/** Waits until the Service has a load-balancer hostname and returns it. */
export async function endpoint(
  ctx: DeployContext,
  options: PollOptions = DEFAULT_ENDPOINT_POLL,
): Promise<string> {
  const { config, runner } = ctx;
  const { service, namespace } = resourceNames(config);
  const cmd = k.serviceHostname(config);
  runner.explain(
    `repeated every ${formatDuration(options.intervalMs)} until the hostname is set, for at most ${formatDuration(options.timeoutMs)}`,
  );
  try {
    return await retry(
      async (poll) => {
        const result = await runner.run(cmd, {
          capture: true,
          quiet: poll > 1,
          dryRunStdout: '<load-balancer-hostname>',
        });
        const hostname = result.stdout.trim();
        if (result.exitCode !== 0) throw new Error(`kubectl exited ${result.exitCode}`);
        if (hostname === '') throw new Error('no hostname assigned yet');
        runner.note(`load balancer hostname of service/${service}: ${hostname}`);
        return hostname;
      },
      {
        timeoutMs: options.timeoutMs,
        delayMs: options.intervalMs,
        ...clock(ctx),
        onRetry: ({ error, elapsedMs }) =>
          ctx.io.stdout.write(
            `waiting for the load balancer of service/${service} (${(error as Error).message}; ${formatDuration(elapsedMs)} elapsed)\n`,
          ),
      },
    );
  } catch (error) {
    if (!(error instanceof RetryError)) throw error;
    throw new DeployError(
      `service/${service} in namespace ${namespace} got no load-balancer hostname within ` +
        `${formatDuration(options.timeoutMs)} (${error.attempts} polls; last: ${(error.lastError as Error).message}). ` +
        `Check its events (kubectl describe service ${service} --namespace ${namespace}): ` +
        'the public subnets need the kubernetes.io/role/elb tag and the node role the load-balancer permissions.',
    );
  }
}

// ---------------------------------------------------------------- DNS

/** What a dry run assumes `aws elbv2 describe-load-balancers` says of the load balancer's DNS zone. */
const DRY_RUN_CANONICAL_ZONE = '<canonical-hosted-zone-of-the-load-balancer>';

/**
 * Points service.dns.hostname at the load balancer: an alias A record,
 * upserted in the Route 53 hosted zone service.dns.hostedZoneId, then waits
 * until Route 53 reports the change INSYNC. Terraform cannot make this record:
 * the NLB exists only once the Service does (after helm upgrade), so the
 * pipeline makes it right after the load balancer got its hostname. An alias
 * (not a CNAME) also works at a zone apex and costs no extra DNS lookup.
 * Without a hosted zone there is nothing to do: the record is yours to make.
 */
export async function dnsRecord(ctx: DeployContext, loadBalancerHost: string): Promise<void> {
  const { config, runner } = ctx;
  const { hostname, hostedZoneId } = config.service.dns;
  if (!hostname || !hostedZoneId) {
    runner.note(
      hostname
        ? `no service.dns.hostedZoneId: point ${hostname} at ${loadBalancerHost} yourself (an alias or CNAME record)`
        : 'no service.dns.hostname in the config: no DNS record to make',
    );
    return;
  }
  const listed = await mustRun(
    ctx,
    k.describeLoadBalancers(config),
    (code) =>
      `aws elbv2 describe-load-balancers failed in ${config.region} (exit ${code}): the deploy role needs elasticloadbalancing:DescribeLoadBalancers`,
    {
      capture: true,
      dryRunStdout: JSON.stringify({
        LoadBalancers: [
          { DNSName: loadBalancerHost, CanonicalHostedZoneId: DRY_RUN_CANONICAL_ZONE },
        ],
      }),
    },
  );
  let balancers: { DNSName?: string; CanonicalHostedZoneId?: string }[];
  try {
    balancers = (JSON.parse(listed) as { LoadBalancers?: typeof balancers }).LoadBalancers ?? [];
  } catch {
    throw new DeployError('aws elbv2 describe-load-balancers did not print JSON');
  }
  const balancer = balancers.find(
    (lb) => lb.DNSName?.toLowerCase() === loadBalancerHost.toLowerCase(),
  );
  if (!balancer?.CanonicalHostedZoneId) {
    throw new DeployError(
      `no load balancer in ${config.region} has the DNS name ${loadBalancerHost}: ` +
        `check the Service's load balancer (${ctx.invocation('endpoint')}); no DNS record was changed.`,
    );
  }
  const changed = await mustRun(
    ctx,
    k.upsertAliasRecord(hostedZoneId, hostname, {
      dnsName: loadBalancerHost,
      hostedZoneId: balancer.CanonicalHostedZoneId,
    }),
    (code) =>
      `could not upsert the alias record ${hostname} in hosted zone ${hostedZoneId} (exit ${code}): ` +
      'the deploy role needs route53:ChangeResourceRecordSets on that zone, and the zone must hold the name.',
    {
      capture: true,
      dryRunStdout: '{"ChangeInfo":{"Id":"/change/<change-id>","Status":"PENDING"}}',
    },
  );
  const changeId = (JSON.parse(changed) as { ChangeInfo?: { Id?: string } }).ChangeInfo?.Id;
  if (!changeId)
    throw new DeployError('aws route53 change-resource-record-sets printed no ChangeInfo.Id');
  await mustRun(
    ctx,
    k.waitForRecordChange(changeId),
    (code) =>
      `Route 53 did not report the change ${changeId} of ${hostname} as INSYNC (exit ${code}); ` +
      'the record is saved and will propagate: run the health check again later (the deploy role needs route53:GetChange).',
  );
  runner.note(`${hostname} → ${loadBalancerHost} (alias A record in hosted zone ${hostedZoneId})`);
}

/** The context's clock for the retry helper (tests inject one). */
function clock(ctx: DeployContext) {
  return { ...(ctx.sleep ? { sleep: ctx.sleep } : {}), ...(ctx.now ? { now: ctx.now } : {}) };
}

export interface HealthOptions {
  /**
   * The load balancer's hostname; the URL is http://<host>:<service.port><api.healthPath>,
   * unless the config has service.dns.hostname: then that name (https:// with a certificate).
   */
  readonly host?: string;
  /** Overrides the URL entirely (e.g. a port-forward). */
  readonly url?: string;
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly timeoutMs: number;
}

export const DEFAULT_HEALTH: Omit<HealthOptions, 'host' | 'url'> = {
  attempts: 10,
  baseDelayMs: 5_000,
  maxDelayMs: 60_000,
  timeoutMs: 5_000,
};

/**
 * The health URL as clients reach it (`publicHealthUrl` of @fittech/shared):
 * `https://<service.dns.hostname>/…` with a certificate, else plain HTTP to the
 * configured hostname or the load balancer's `host`.
 */
export function healthUrl(config: FitTechConfig, host: string): string {
  return publicHealthUrl(config, host);
}

/** GETs the health path through the load balancer with retries and backoff. */
export async function healthcheck(ctx: DeployContext, options: HealthOptions): Promise<number> {
  const { config, runner } = ctx;
  const hostname = config.service.dns.hostname;
  if (!options.url && !options.host && !hostname) {
    throw new DeployError(
      'healthcheck needs --host <load balancer hostname> (from the endpoint command) or --url; ' +
        'with service.dns.hostname in the config it uses that name',
    );
  }
  // A configured hostname is what clients use (and what the certificate is for): the check goes there.
  const url = options.url ?? healthUrl(config, options.host ?? hostname!);
  const delays = backoffDelays(options.attempts, options.baseDelayMs, options.maxDelayMs);
  const result = await runner.effect(
    `GET ${url} until it answers 2xx: at most ${options.attempts} attempts of ` +
      `${formatDuration(options.timeoutMs)} each, waiting ${delays.map(formatDuration).join(', ') || 'nothing'} in between`,
    () =>
      checkHealth({
        url,
        ...options,
        ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
        onAttempt: (a) => {
          if (a.healthy) return;
          const next =
            a.nextDelayMs === undefined ? '' : `; retrying in ${formatDuration(a.nextDelayMs)}`;
          ctx.io.stdout.write(`attempt ${a.attempt}/${options.attempts}: ${a.reason}${next}\n`);
        },
      }),
    () => undefined,
  );
  if (result === undefined) return 0;
  if (!result.healthy) {
    throw new DeployError(
      `${result.message}. Look at the pods with: ${ctx.invocation('diagnose')}`,
    );
  }
  ctx.io.stdout.write(`${result.message}\n`);
  return result.attempts;
}

export async function helmTest(
  ctx: DeployContext,
  options: { timeout?: string } = {},
): Promise<void> {
  const { release, namespace, service } = resourceNames(ctx.config);
  await mustRun(
    ctx,
    k.helmTest(ctx.config, options.timeout ?? '5m'),
    (code) =>
      `helm test ${release} failed in namespace ${namespace} (exit ${code}): the test pod could not get ` +
      `${ctx.config.api.healthPath} through service/${service}:${ctx.config.service.port}; its logs are above.`,
  );
}

// ---------------------------------------------------------------- teardown

export interface TeardownOptions extends PollOptions {
  /** Default `dist/terraform`. */
  readonly terraformDir?: string;
  /** The cluster's name, required when the config protects the database from deletion. */
  readonly confirm?: string;
}

export const DEFAULT_TEARDOWN: TeardownOptions = { timeoutMs: 15 * 60_000, intervalMs: 15_000 };

async function waitForLoadBalancerGone(ctx: DeployContext, hostname: string, options: PollOptions) {
  const { config, runner } = ctx;
  const cmd = k.describeLoadBalancers(config);
  runner.explain(
    `repeated every ${formatDuration(options.intervalMs)} until no load balancer has the DNS name ${hostname}, for at most ${formatDuration(options.timeoutMs)}`,
  );
  try {
    await retry(
      async (poll) => {
        const stdout = await mustRun(
          ctx,
          cmd,
          (code) => `aws elbv2 describe-load-balancers failed in ${config.region} (exit ${code})`,
          { capture: true, quiet: poll > 1, dryRunStdout: '{"LoadBalancers":[]}' },
        );
        const balancers =
          (JSON.parse(stdout) as { LoadBalancers?: { DNSName?: string }[] }).LoadBalancers ?? [];
        if (balancers.some((lb) => lb.DNSName?.toLowerCase() === hostname.toLowerCase())) {
          throw new Error('still there');
        }
        runner.note(`the load balancer ${hostname} is gone`);
      },
      {
        timeoutMs: options.timeoutMs,
        delayMs: options.intervalMs,
        retryIf: (error) => !(error instanceof DeployError),
        ...clock(ctx),
      },
    );
  } catch (error) {
    if (!(error instanceof RetryError)) throw error;
    throw new DeployError(
      `the load balancer ${hostname} still exists after ${formatDuration(options.timeoutMs)}; ` +
        'terraform destroy would fail on its network interfaces. Delete it in the EC2 console ' +
        '(Load Balancers) or wait, then run teardown again.',
    );
  }
}

/**
 * `helm uninstall`, wait until the Service and its AWS load balancer are gone
 * (otherwise the VPC cannot be destroyed), then `terraform destroy`. Safe to
 * run again after a partial teardown.
 */
export async function teardown(
  ctx: DeployContext,
  options: TeardownOptions = DEFAULT_TEARDOWN,
): Promise<void> {
  const { config, runner } = ctx;
  const { cluster, release } = resourceNames(config);
  const terraformDir = options.terraformDir ?? 'dist/terraform';
  const timeout = formatDuration(options.timeoutMs);
  if (config.database.deletionProtection && options.confirm !== cluster) {
    throw new DeployError(
      `${options.confirm === undefined ? 'refusing' : `--confirm ${options.confirm} does not name the cluster; refusing`} to tear down env ${config.environment}: ` +
        `it destroys cluster ${cluster} and its database, which the config protects from deletion ` +
        '(database.deletionProtection). To go ahead, run the same command with ' +
        `--confirm ${cluster}. Nothing was changed.`,
    );
  }

  const clusters = await mustRun(
    ctx,
    k.listClusters(config),
    (code) =>
      `aws eks list-clusters failed in ${config.region} (exit ${code}): check your AWS credentials`,
    { capture: true, dryRunStdout: JSON.stringify({ clusters: [cluster] }) },
  );
  const exists = ((JSON.parse(clusters) as { clusters?: string[] }).clusters ?? []).includes(
    cluster,
  );
  if (!exists) {
    runner.note(`cluster ${cluster} does not exist in ${config.region}: nothing to uninstall`);
  } else {
    await kubeconfig(ctx);
    const hostname = (
      await mustRun(
        ctx,
        k.serviceHostname(config, { ignoreNotFound: true }),
        (code) => `could not read the Service's load balancer (exit ${code})`,
        { capture: true, dryRunStdout: '<load-balancer-hostname>' },
      )
    ).trim();
    await mustRun(
      ctx,
      k.helmUninstall(config, timeout),
      (code) => `helm uninstall ${release} failed (exit ${code}); nothing was destroyed.`,
    );
    await mustRun(
      ctx,
      k.waitForServiceDeletion(config, timeout),
      (code) =>
        `the Service was not deleted within ${timeout} (exit ${code}): its load balancer is still being removed. ` +
        'Run teardown again later; nothing was destroyed.',
    );
    if (hostname) await waitForLoadBalancerGone(ctx, hostname, options);
  }
  await mustRun(
    ctx,
    k.terraformInit(terraformDir),
    (code) => `terraform init failed in ${terraformDir} (exit ${code}); run pnpm synth first.`,
  );
  await mustRun(
    ctx,
    k.terraformDestroy(terraformDir),
    (code) =>
      `terraform destroy failed (exit ${code}). If the database has deletion protection ` +
      '(database.deletionProtection, on in prod), turn it off in the config and apply first.',
  );
}

// ---------------------------------------------------------------- the whole deployment

export interface DeployOptions extends HelmUpgradeOptions {
  readonly endpoint?: PollOptions;
  readonly health?: Omit<HealthOptions, 'host' | 'url'>;
}

/** Steps 4–7: kubeconfig, helm upgrade, rollout, endpoint, health check, helm test. */
export async function deploy(ctx: DeployContext, options: DeployOptions = {}): Promise<void> {
  checkReleaseOverrides(ctx.config, options.overrides ?? NO_OVERRIDES);
  await kubeconfig(ctx);
  await helmUpgrade(ctx, options);
  await rollout(ctx);
  const host = await endpoint(ctx, options.endpoint);
  await dnsRecord(ctx, host);
  await healthcheck(ctx, { host, ...(options.health ?? DEFAULT_HEALTH) });
  await helmTest(ctx);
}
