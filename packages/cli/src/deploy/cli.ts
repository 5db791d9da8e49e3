#!/usr/bin/env node
/**
 * `fittech-deploy`: the deployment's operational steps, for the pipeline and
 * for a person at a laptop. Every name comes from fittech.config.ts (the
 * environment chosen with --env, plus --config overrides), resolved exactly
 * as `pnpm synth` resolves it. The option table below is both the parser and
 * the --help text.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  ConfigError,
  readOverridesFile,
  resolveConfig,
  type FitTechConfig,
  type Locate,
  type ProjectConfig,
} from '@fittech/shared';
import { PROJECT_CONFIG_FILE, findProjectConfig, loadProjectConfig } from '@fittech/shared/loader';
import { shellQuote } from './command';
import { parseDuration } from './duration';
import {
  clusterAutoscaler,
  DEFAULT_ENDPOINT_POLL,
  DEFAULT_HEALTH,
  DEFAULT_TEARDOWN,
  deploy,
  diagnose,
  dnsRecord,
  endpoint,
  healthUrl,
  healthcheck,
  helmTest,
  helmUpgrade,
  kubeconfig,
  rollout,
  teardown,
  type DeployContext,
  type PodSource,
} from './operations';
import { readReleaseOverrides } from './release-overrides';
import { ProcessRunner, type CommandRunner, type Io } from './runner';
import { checkStamp } from './stamp';

export interface CliDependencies {
  readonly io: Io;
  /** Secrets, PATH and GITHUB_* come from here (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The runner (default: a ProcessRunner on `io`, a dry one with --dry-run). */
  readonly runner?: CommandRunner;
  /** The directory relative paths are resolved against (default process.cwd()). */
  readonly cwd?: string;
  /** The project configuration (default: fittech.config.ts found from `cwd` upwards, or --project). */
  readonly project?: ProjectConfig;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Told the runner once it exists (the executable forwards signals to its commands). */
  readonly onRunner?: (runner: ProcessRunner) => void;
  readonly registerCleanup?: (cleanup: () => void) => () => void;
}

/** Wrong usage: exit status 2. */
class UsageError extends Error {}

type Options = Record<string, string | string[] | boolean | undefined>;

interface CommandSpec {
  readonly description: string;
  /** Reads dist/ (the chart or the Terraform): its stamp must match. */
  readonly usesDist: boolean;
  readonly options: readonly Option[];
}

/** A repeatable option's values, in the order given. */
const collect = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

const IMAGE_OPTIONS = () => [
  new Option(
    '--registry <host>',
    'the ECR registry host; the repository name comes from the config',
  ),
  new Option('--image-tag <tag>', "the image tag (default: the config's api.imageTag)"),
  new Option('--image-digest <sha256:...>', 'the pushed image digest; the chart then pins it'),
  new Option(
    '-f, --values <file>',
    'chart values (YAML) over the defaults, as helm takes them; repeatable, later files win',
  ).argParser(collect),
  new Option(
    '--set <key=value>',
    'a chart value (e.g. replicaCount=3, autoscaling.maxReplicas=6), typed as helm types it, applied after --values; repeatable. replicaCount and autoscaling.maxReplicas must fit nodeGroup.maxSize nodes',
  ).argParser(collect),
];

/** The commands and their own options: the parser and the help text. */
const COMMANDS: Record<string, CommandSpec> = {
  kubeconfig: {
    description: "aws eks update-kubeconfig for the config's cluster and region",
    usesDist: false,
    options: [],
  },
  'cluster-autoscaler': {
    description:
      'helm upgrade --install of the Cluster Autoscaler in kube-system (its AWS role comes from the Pod Identity association Terraform made)',
    usesDist: false,
    options: [],
  },
  'helm-upgrade': {
    description:
      'helm lint, then helm upgrade --install --atomic --wait of dist/chart; the secrets ($SECRET_KEY, and $DATABASE_URL or else the Terraform outputs: the application role without a password, or with database.auth password the RDS-managed master secret) go through a 0600 values file',
    usesDist: true,
    options: IMAGE_OPTIONS(),
  },
  rollout: {
    description: 'kubectl rollout status; when it fails, prints the diagnostics and fails',
    usesDist: false,
    options: [
      new Option(
        '--timeout <duration>',
        "kubectl's timeout (default: the config's pipeline.helmTimeout)",
      ),
    ],
  },
  diagnose: {
    description:
      'pods -o wide, describe, logs of every container (current and --previous), the migration Job and the events, for the pods with the release labels',
    usesDist: false,
    options: [
      new Option('--pods <names>', 'comma-separated pod names instead of asking the cluster'),
      new Option(
        '--pods-json <file>',
        'a kubectl get pods -o json document instead of asking the cluster',
      ),
    ],
  },
  endpoint: {
    description: "waits for the Service's load-balancer hostname and prints it",
    usesDist: false,
    options: [
      new Option('--timeout <duration>', 'give up after').default('10m'),
      new Option('--interval <duration>', 'wait between polls').default('10s'),
      new Option('--github-output', 'write hostname= and url= to $GITHUB_OUTPUT'),
    ],
  },
  dns: {
    description:
      'with service.dns.hostedZoneId: upserts the alias A record service.dns.hostname → the load balancer in Route 53 and waits until it is in sync',
    usesDist: false,
    options: [
      new Option(
        '--host <host>',
        "the load balancer's hostname (default: waits for it like the endpoint command)",
      ),
    ],
  },
  healthcheck: {
    description:
      'GET https://<service.dns.hostname><api.healthPath> with a certificate, else http://<host>:<service.port><api.healthPath>, with retries and exponential backoff',
    usesDist: false,
    options: [
      new Option(
        '--host <host>',
        "the load balancer's hostname (from the endpoint command); unused when the config has service.dns.hostname",
      ),
      new Option('--url <url>', 'the whole URL instead (e.g. a port-forward)'),
      new Option('--attempts <n>', 'requests at most').default(String(DEFAULT_HEALTH.attempts)),
      new Option('--delay <duration>', 'first wait, doubled after each failure').default('5s'),
      new Option('--max-delay <duration>', 'longest wait').default('1m'),
      new Option('--timeout <duration>', 'time one request may take').default('5s'),
    ],
  },
  'helm-test': {
    description: 'helm test <release> --logs',
    usesDist: false,
    options: [new Option('--timeout <duration>', "helm's timeout").default('5m')],
  },
  deploy: {
    description:
      'kubeconfig, helm-upgrade, rollout, endpoint, dns, healthcheck, helm-test in order',
    usesDist: true,
    options: IMAGE_OPTIONS(),
  },
  teardown: {
    description:
      "helm uninstall, wait until the Service's load balancer is gone, terraform destroy of dist/terraform",
    usesDist: true,
    options: [
      new Option(
        '--confirm <cluster>',
        "the cluster's name; required when the config protects the database from deletion",
      ),
      new Option('--timeout <duration>', 'for the uninstall and the load balancer').default('15m'),
      new Option('--interval <duration>', 'between load balancer polls').default('15s'),
    ],
  },
};

const COMMON_OPTIONS = () => [
  new Option(
    '--env <name>',
    'an environment of fittech.config.ts (default: the first it declares)',
  ),
  new Option(
    '--config <file>',
    'ad-hoc overrides (JSON or YAML), deep-merged over the environment',
  ),
  new Option(
    '--dist <dir>',
    'what pnpm synth wrote for this environment (default: dist next to fittech.config.ts)',
  ),
  new Option(
    '--project <file>',
    `the project configuration (default: the nearest ${PROJECT_CONFIG_FILE})`,
  ),
  new Option(
    '--dry-run',
    'print the exact commands and run nothing; every check of a real run still runs',
  ),
];

const EPILOGUE = `
Paths are relative to the directory you run the command from. Secrets come only from the environment.
Exit status: 0 done, 1 invalid configuration or a failed step (the message says why), 2 wrong usage.`;

function program(io: Io, chosen: { name?: string; options?: Options }): Command {
  const output = {
    writeOut: (text: string) => io.stdout.write(text),
    writeErr: (text: string) => io.stderr.write(text),
  };
  const root = new Command('fittech-deploy')
    .usage('<command> [--env NAME] [--config FILE] [--dry-run] [options]')
    .description(
      'The deployment steps for one environment of fittech.config.ts. Commands run aws, kubectl, helm and terraform directly (no shell).',
    )
    .addHelpText('after', EPILOGUE)
    .exitOverride()
    .configureOutput(output)
    .showSuggestionAfterError(true);
  for (const [name, spec] of Object.entries(COMMANDS)) {
    const command = root
      .command(name)
      .description(spec.description)
      .addHelpText('after', EPILOGUE)
      .allowExcessArguments(false)
      .exitOverride()
      .configureOutput(output)
      .action((options: Options) => {
        chosen.name = name;
        chosen.options = options;
      });
    for (const option of [...spec.options, ...COMMON_OPTIONS()]) command.addOption(option);
  }
  return root;
}

function duration(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  try {
    return parseDuration(value, `--${flag}`);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function positiveInteger(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`--${flag} must be a whole number of at least 1 (got "${value}")`);
  }
  return Number(value);
}

function annotate(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** The configuration and the paths of one invocation. */
function resolveInvocation(options: Options, deps: CliDependencies, cwd: string) {
  const str = (key: string) => options[key] as string | undefined;
  let projectFile: string | undefined;
  let project = deps.project;
  if (!project || str('project')) {
    projectFile = str('project') ? resolve(cwd, str('project')!) : findProjectConfig(cwd);
    if (!projectFile) {
      throw new ConfigError(
        [
          {
            path: '(file)',
            message: `no ${PROJECT_CONFIG_FILE} in ${cwd} or above: run this inside the repository, or pass --project <file>`,
          },
        ],
        'project configuration',
      );
    }
    project = loadProjectConfig(projectFile);
  }
  const root = projectFile ? dirname(projectFile) : cwd;
  let overrides: Record<string, unknown> | undefined;
  let locate: Locate | undefined;
  const configFile = str('config');
  if (configFile) {
    const file = readOverridesFile(resolve(cwd, configFile), configFile);
    overrides = file.data;
    locate = (path) => file.locate(path)?.replace(/^.*?(:\d+:\d+)$/, `${configFile}$1`);
  }
  const env = str('env') ?? Object.keys(project.environments)[0] ?? 'dev';
  const config = resolveConfig({
    env,
    project,
    ...(projectFile ? { projectSource: relative(cwd, projectFile) || projectFile } : {}),
    ...(overrides ? { overrides, source: configFile! } : {}),
    ...(locate ? { locate } : {}),
  });
  const dist = resolve(cwd, str('dist') ?? join(root, 'dist'));
  // Paths on the commands' lines as the user would type them (relative when below cwd).
  const shown = (path: string) => {
    const rel = relative(cwd, path);
    return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  };
  const flags = ` --env ${env}${configFile ? ` --config ${shellQuote(configFile)}` : ''}`;
  return {
    config,
    dist,
    chartDir: shown(join(dist, 'chart')),
    terraformDir: shown(join(dist, 'terraform')),
    synthCommand: `pnpm synth${flags}${str('dist') ? ` --out ${shellQuote(str('dist')!)}` : ''}`,
    invocation: (command: string) => `fittech-deploy ${command}${flags}`,
  };
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: readonly string[], deps: CliDependencies): Promise<number> {
  const { io } = deps;
  const env = deps.env ?? process.env;
  const cwd = deps.cwd ?? process.cwd();
  const chosen: { name?: string; options?: Options } = {};
  const cli = program(io, chosen);
  if (argv.length === 0) {
    io.stderr.write(cli.helpInformation());
    return 2;
  }
  try {
    cli.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      io.stderr.write('Run fittech-deploy --help for the commands and their options.\n');
      return 2;
    }
    throw error;
  }
  const name = chosen.name;
  const options = chosen.options ?? {};
  if (!name) {
    io.stderr.write(cli.helpInformation());
    return 2;
  }
  const spec = COMMANDS[name]!;
  const str = (key: string) => options[key] as string | undefined;

  let config: FitTechConfig;
  let ctx: DeployContext;
  let paths: ReturnType<typeof resolveInvocation>;
  try {
    paths = resolveInvocation(options, deps, cwd);
    config = paths.config;
    const runner =
      deps.runner ??
      new ProcessRunner(io, { dryRun: Boolean(options.dryRun), env: env as NodeJS.ProcessEnv });
    ctx = {
      config,
      runner,
      io,
      env,
      invocation: paths.invocation,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.registerCleanup ? { registerCleanup: deps.registerCleanup } : {}),
    };
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`fittech-deploy: ${error.message}\n`);
      return 1;
    }
    throw error;
  }

  try {
    // What dist/ holds must be what this environment and configuration synthesize.
    if (spec.usesDist) checkStamp(paths.dist, config, paths.synthCommand);
    const image = {
      ...(str('registry') !== undefined ? { registry: str('registry') } : {}),
      ...(str('imageTag') !== undefined ? { tag: str('imageTag') } : {}),
      ...(str('imageDigest') !== undefined ? { digest: str('imageDigest') } : {}),
      overrides: readReleaseOverrides(
        (options.values as string[] | undefined) ?? [],
        (options.set as string[] | undefined) ?? [],
        cwd,
      ),
      chartDir: paths.chartDir,
      terraformDir: paths.terraformDir,
    };
    switch (name) {
      case 'kubeconfig':
        await kubeconfig(ctx);
        break;
      case 'cluster-autoscaler':
        await clusterAutoscaler(ctx);
        break;
      case 'helm-upgrade':
        await helmUpgrade(ctx, image);
        break;
      case 'rollout': {
        const timeout = str('timeout');
        duration(timeout, 'timeout');
        await rollout(ctx, timeout ? { timeout } : {});
        break;
      }
      case 'diagnose': {
        let source: PodSource = { kind: 'cluster' };
        if (str('pods') !== undefined && str('podsJson') !== undefined) {
          throw new UsageError('give either --pods or --pods-json, not both');
        }
        if (str('pods') !== undefined) {
          const names = str('pods')!
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean);
          if (names.length === 0) throw new UsageError('--pods needs at least one pod name');
          source = { kind: 'names', names };
        } else if (str('podsJson') !== undefined) {
          const file = str('podsJson')!;
          let json: string;
          try {
            json = readFileSync(resolve(cwd, file), 'utf8');
          } catch (error) {
            throw new UsageError(`--pods-json ${file} cannot be read: ${(error as Error).message}`);
          }
          source = { kind: 'json', json, source: file };
        }
        const pods = await diagnose(ctx, source);
        if (source.kind !== 'cluster' || pods.length > 0) {
          ctx.runner.note(
            `diagnosed ${pods.length} pod(s) of release ${config.kubernetes.releaseName}: ` +
              (pods.map((p) => `${p.name} [${p.containers.join(', ')}]`).join(', ') || 'none'),
          );
        }
        break;
      }
      case 'endpoint': {
        const githubOutput = options.githubOutput ? env.GITHUB_OUTPUT : undefined;
        if (options.githubOutput && !githubOutput) {
          throw new UsageError('--github-output needs $GITHUB_OUTPUT (set by GitHub Actions)');
        }
        const host = await endpoint(ctx, {
          timeoutMs: duration(str('timeout'), 'timeout') ?? DEFAULT_ENDPOINT_POLL.timeoutMs,
          intervalMs: duration(str('interval'), 'interval') ?? DEFAULT_ENDPOINT_POLL.intervalMs,
        });
        const lines = `hostname=${host}\nurl=${healthUrl(config, host)}\n`;
        if (githubOutput) {
          await ctx.runner.effect(
            `appends to $GITHUB_OUTPUT:\n${lines.trimEnd()}`,
            async () => appendFileSync(githubOutput, lines),
            () => undefined,
          );
        }
        break;
      }
      case 'dns': {
        const host = str('host') ?? (await endpoint(ctx));
        await dnsRecord(ctx, host);
        break;
      }
      case 'healthcheck':
        await healthcheck(ctx, {
          ...(str('host') !== undefined ? { host: str('host') } : {}),
          ...(str('url') !== undefined ? { url: str('url') } : {}),
          attempts: positiveInteger(str('attempts')!, 'attempts'),
          baseDelayMs: duration(str('delay'), 'delay')!,
          maxDelayMs: duration(str('maxDelay'), 'max-delay')!,
          timeoutMs: duration(str('timeout'), 'timeout')!,
        });
        break;
      case 'helm-test': {
        duration(str('timeout'), 'timeout');
        await helmTest(ctx, { timeout: str('timeout')! });
        break;
      }
      case 'deploy':
        await deploy(ctx, image);
        break;
      case 'teardown':
        await teardown(ctx, {
          terraformDir: paths.terraformDir,
          timeoutMs: duration(str('timeout'), 'timeout') ?? DEFAULT_TEARDOWN.timeoutMs,
          intervalMs: duration(str('interval'), 'interval') ?? DEFAULT_TEARDOWN.intervalMs,
          ...(str('confirm') !== undefined ? { confirm: str('confirm') } : {}),
        });
        break;
    }
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`fittech-deploy ${name}: ${error.message}\n`);
      return 2;
    }
    const message = (error as Error).message;
    io.stderr.write(`fittech-deploy ${name}: ${message}\n`);
    if (env.GITHUB_ACTIONS === 'true') {
      io.stdout.write(`::error title=fittech-deploy ${name}::${annotate(message)}\n`);
    }
    return 1;
  }
}

/** The executable: real process streams, signals forwarded, the secret file removed on interrupt. */
export function run(): void {
  const io: Io = { stdout: process.stdout, stderr: process.stderr };
  let runner: ProcessRunner | undefined;
  const cleanups = new Set<() => void>();
  const onSignal = (signal: NodeJS.Signals, number: number) => {
    runner?.killAll(signal);
    for (const cleanup of cleanups) cleanup();
    process.exit(128 + number);
  };
  process.once('SIGINT', () => onSignal('SIGINT', 2));
  process.once('SIGTERM', () => onSignal('SIGTERM', 15));
  // `fittech-deploy … --dry-run | head` closes the pipe early: stop quietly, like other tools.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    runner?.killAll('SIGTERM');
    for (const cleanup of cleanups) cleanup();
    process.exit(0);
  });
  main(process.argv.slice(2), {
    io,
    onRunner: (created) => (runner = created),
    registerCleanup: (cleanup) => {
      cleanups.add(cleanup);
      return () => cleanups.delete(cleanup);
    },
  }).then(
    (status) => {
      process.exitCode = status;
    },
    (error: unknown) => {
      process.stderr.write(
        `fittech-deploy: unexpected failure: ${(error as Error).stack ?? error}\n`,
      );
      process.exitCode = 1;
    },
  );
}

if (require.main === module) run();
