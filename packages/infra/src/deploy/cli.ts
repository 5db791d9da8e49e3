#!/usr/bin/env node
/**
 * `fittech-deploy`: the deployment's operational steps, for the pipeline and
 * for a person at a laptop. Every name comes from the FitTech config, resolved
 * exactly as `pnpm synth` resolves it.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  ConfigError,
  ENVIRONMENTS,
  resolveConfig,
  type Environment,
  type FitTechConfig,
} from '@fittech/shared';
import { shellQuote } from './command';
import { parseDuration } from './duration';
import {
  DEFAULT_ENDPOINT_POLL,
  DEFAULT_HEALTH,
  DEFAULT_TEARDOWN,
  deploy,
  diagnose,
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
import { DryRunRunner, ProcessRunner, type CommandRunner, type Io } from './runner';

export const USAGE = `Usage: fittech-deploy <command> [--env dev|prod] [--config overrides.json] [--dry-run] [options]

Every name (cluster, region, namespace, release, Deployment, Service, service port, health path)
comes from the FitTech config: the environment's preset deep-merged with --config and validated
exactly as by \`pnpm synth\`. Commands run aws, kubectl, helm and terraform directly (no shell).

Commands:
  kubeconfig    aws eks update-kubeconfig for the config's cluster and region
  helm-upgrade  helm lint, then helm upgrade --install --atomic --wait; the secrets ($SECRET_KEY, and
                $DATABASE_URL or else terraform output database_url) go through a 0600 values file
                  --registry HOST  --image-tag TAG  --image-digest sha256:...
                  --chart DIR (dist/chart)  --terraform-dir DIR (dist/terraform)
  rollout       kubectl rollout status; when it fails, prints the diagnostics and fails
                  --timeout DURATION (the config's pipeline.helmTimeout)
  diagnose      pods -o wide, describe, logs of every container (current and --previous),
                the migration Job and the events, for the pods with the release's labels
                  --pods NAME,NAME | --pods-json FILE (a kubectl get pods -o json document)
  endpoint      waits for the Service's load-balancer hostname and prints it
                  --timeout 10m  --interval 10s  --github-output (hostname= and url= to $GITHUB_OUTPUT)
  healthcheck   GET http://<host>:<service.port><api.healthPath> with retries and exponential backoff
                  --host HOST | --url URL  --attempts 10  --delay 5s  --max-delay 1m  --timeout 5s
  helm-test     helm test <release> --logs
                  --timeout 5m
  deploy        kubeconfig, helm-upgrade, rollout, endpoint, healthcheck, helm-test in order
                  (helm-upgrade's options)
  teardown      helm uninstall, wait until the Service's load balancer is gone, terraform destroy
                  --terraform-dir DIR (dist/terraform)  --timeout 15m  --interval 15s

Options of every command:
  --env dev|prod   named environment (default: dev)
  --config FILE    partial config (JSON or YAML), deep-merged over the environment's preset
  --dry-run        print the exact commands, shell-quoted, and run nothing
  -h, --help       this text

Exit status: 0 done, 1 the step failed (the message says why), 2 wrong usage or configuration.`;

type OptionSpec = { type: 'string' | 'boolean'; short?: string };

const GLOBAL: Record<string, OptionSpec> = {
  env: { type: 'string' },
  config: { type: 'string' },
  'dry-run': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};
const IMAGE: Record<string, OptionSpec> = {
  registry: { type: 'string' },
  'image-tag': { type: 'string' },
  'image-digest': { type: 'string' },
  chart: { type: 'string' },
  'terraform-dir': { type: 'string' },
};

const COMMANDS: Record<string, Record<string, OptionSpec>> = {
  kubeconfig: {},
  'helm-upgrade': IMAGE,
  rollout: { timeout: { type: 'string' } },
  diagnose: { pods: { type: 'string' }, 'pods-json': { type: 'string' } },
  endpoint: {
    timeout: { type: 'string' },
    interval: { type: 'string' },
    'github-output': { type: 'boolean' },
  },
  healthcheck: {
    host: { type: 'string' },
    url: { type: 'string' },
    attempts: { type: 'string' },
    delay: { type: 'string' },
    'max-delay': { type: 'string' },
    timeout: { type: 'string' },
  },
  'helm-test': { timeout: { type: 'string' } },
  deploy: IMAGE,
  teardown: {
    'terraform-dir': { type: 'string' },
    timeout: { type: 'string' },
    interval: { type: 'string' },
  },
};

export interface CliDependencies {
  readonly io: Io;
  /** Secrets and GITHUB_* come from here (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The runner for a real run (default: a ProcessRunner on `io`). */
  readonly runner?: CommandRunner;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly registerCleanup?: (cleanup: () => void) => () => void;
}

class UsageError extends Error {}

/** Reads a partial config file (JSON, or YAML by extension) with errors that name the file. */
export function readOverridesFile(file: string): Record<string, unknown> {
  const source = `overrides file ${file}`;
  const isYaml = /\.ya?ml$/i.test(file);
  let data: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    data = isYaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code
      ? `cannot be read: ${(error as Error).message}`
      : `is not valid ${isYaml ? 'YAML' : 'JSON'}: ${(error as Error).message}`;
    throw new ConfigError([{ path: '(file)', value: file, message: reason }], source);
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(
      [{ path: '(root)', value: data, message: 'must be an object with the shape of the config' }],
      source,
    );
  }
  return data as Record<string, unknown>;
}

function duration(value: string | undefined, flag: string, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  try {
    return parseDuration(value, `--${flag}`);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function positiveInteger(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new UsageError(`--${flag} must be a whole number of at least 1 (got "${value}")`);
  }
  return Number(value);
}

/** A Go duration string for helm/kubectl, checked here so a typo fails before anything runs. */
function goDuration(value: string | undefined, flag: string): string | undefined {
  if (value !== undefined) duration(value, flag, 0);
  return value;
}

function annotate(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Runs the CLI; returns the exit status. */
export async function main(argv: readonly string[], deps: CliDependencies): Promise<number> {
  const { io } = deps;
  const env = deps.env ?? process.env;
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const spec = COMMANDS[name];
  if (!spec) {
    io.stderr.write(
      `fittech-deploy: unknown command "${name}"; one of ${Object.keys(COMMANDS).join(', ')}\n\n${USAGE}\n`,
    );
    return 2;
  }

  let config: FitTechConfig;
  let ctx: DeployContext;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...rest],
      options: { ...GLOBAL, ...spec },
      strict: true,
      allowPositionals: false,
    }).values;
    if (values.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    const envName = (values.env as string | undefined) ?? 'dev';
    if (!(ENVIRONMENTS as readonly string[]).includes(envName)) {
      throw new UsageError(`--env must be one of ${ENVIRONMENTS.join(', ')} (got "${envName}")`);
    }
    const configFile = values.config as string | undefined;
    const overrides = configFile ? readOverridesFile(configFile) : {};
    const source = configFile ? `configuration (${configFile})` : 'configuration';
    config = resolveConfig({
      env: envName as Environment,
      overrides,
      source: `${source} for env "${envName}"`,
    });
    const runner = values['dry-run']
      ? new DryRunRunner(io)
      : (deps.runner ?? new ProcessRunner(io, env));
    const configFlag = configFile ? ` --config ${shellQuote(configFile)}` : '';
    ctx = {
      config,
      runner,
      io,
      env,
      invocation: (command) => `fittech-deploy ${command} --env ${envName}${configFlag}`,
      ...(deps.sleep ? { sleep: deps.sleep } : {}),
      ...(deps.registerCleanup ? { registerCleanup: deps.registerCleanup } : {}),
    };
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`fittech-deploy: ${error.message}\n`);
      return 2;
    }
    io.stderr.write(`fittech-deploy ${name}: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }

  const str = (key: string) => values[key] as string | undefined;
  try {
    const image = {
      ...(str('registry') !== undefined ? { registry: str('registry') } : {}),
      ...(str('image-tag') !== undefined ? { tag: str('image-tag') } : {}),
      ...(str('image-digest') !== undefined ? { digest: str('image-digest') } : {}),
      ...(str('chart') !== undefined ? { chartDir: str('chart') } : {}),
      ...(str('terraform-dir') !== undefined ? { terraformDir: str('terraform-dir') } : {}),
    };
    switch (name) {
      case 'kubeconfig':
        await kubeconfig(ctx);
        break;
      case 'helm-upgrade':
        await helmUpgrade(ctx, image);
        break;
      case 'rollout': {
        const timeout = goDuration(str('timeout'), 'timeout');
        await rollout(ctx, timeout ? { timeout } : {});
        break;
      }
      case 'diagnose': {
        let source: PodSource = { kind: 'cluster' };
        if (str('pods') !== undefined && str('pods-json') !== undefined) {
          throw new UsageError('give either --pods or --pods-json, not both');
        }
        if (str('pods') !== undefined) {
          const names = str('pods')!
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean);
          if (names.length === 0) throw new UsageError('--pods needs at least one pod name');
          source = { kind: 'names', names };
        } else if (str('pods-json') !== undefined) {
          const file = str('pods-json')!;
          let json: string;
          try {
            json = readFileSync(file, 'utf8');
          } catch (error) {
            throw new UsageError(`--pods-json ${file} cannot be read: ${(error as Error).message}`);
          }
          source = { kind: 'json', json, source: file };
        }
        const pods = await diagnose(ctx, source);
        if (!ctx.runner.dryRun || source.kind !== 'cluster') {
          ctx.runner.note(
            `diagnosed ${pods.length} pod(s) of release ${config.kubernetes.releaseName}: ` +
              (pods.map((p) => `${p.name} [${p.containers.join(', ')}]`).join(', ') || 'none'),
          );
        }
        break;
      }
      case 'endpoint': {
        const host = await endpoint(ctx, {
          timeoutMs: duration(str('timeout'), 'timeout', DEFAULT_ENDPOINT_POLL.timeoutMs),
          intervalMs: duration(str('interval'), 'interval', DEFAULT_ENDPOINT_POLL.intervalMs),
        });
        if (values['github-output']) {
          const file = env.GITHUB_OUTPUT;
          if (!file)
            throw new UsageError('--github-output needs $GITHUB_OUTPUT (set by GitHub Actions)');
          const lines = `hostname=${host}\nurl=${healthUrl(config, host)}\n`;
          if (ctx.runner.dryRun) ctx.runner.note(`appends to $GITHUB_OUTPUT:\n${lines.trimEnd()}`);
          else appendFileSync(file, lines);
        } else if (!ctx.runner.dryRun) {
          // Only the hostname on stdout's last line, for `$(fittech-deploy endpoint)`.
          io.stdout.write(`${host}\n`);
        }
        break;
      }
      case 'healthcheck':
        await healthcheck(ctx, {
          ...(str('host') !== undefined ? { host: str('host') } : {}),
          ...(str('url') !== undefined ? { url: str('url') } : {}),
          attempts: positiveInteger(str('attempts'), 'attempts', DEFAULT_HEALTH.attempts),
          baseDelayMs: duration(str('delay'), 'delay', DEFAULT_HEALTH.baseDelayMs),
          maxDelayMs: duration(str('max-delay'), 'max-delay', DEFAULT_HEALTH.maxDelayMs),
          timeoutMs: duration(str('timeout'), 'timeout', DEFAULT_HEALTH.timeoutMs),
        });
        break;
      case 'helm-test': {
        const timeout = goDuration(str('timeout'), 'timeout');
        await helmTest(ctx, timeout ? { timeout } : {});
        break;
      }
      case 'deploy':
        await deploy(ctx, image);
        break;
      case 'teardown':
        await teardown(ctx, {
          ...(str('terraform-dir') !== undefined ? { terraformDir: str('terraform-dir') } : {}),
          timeoutMs: duration(str('timeout'), 'timeout', DEFAULT_TEARDOWN.timeoutMs),
          intervalMs: duration(str('interval'), 'interval', DEFAULT_TEARDOWN.intervalMs),
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
  const runner = new ProcessRunner(io);
  const cleanups = new Set<() => void>();
  const onSignal = (signal: NodeJS.Signals, number: number) => {
    runner.killAll(signal);
    for (const cleanup of cleanups) cleanup();
    process.exit(128 + number);
  };
  process.once('SIGINT', () => onSignal('SIGINT', 2));
  process.once('SIGTERM', () => onSignal('SIGTERM', 15));
  // `fittech-deploy … --dry-run | head` closes the pipe early: stop quietly, like other tools.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    runner.killAll('SIGTERM');
    for (const cleanup of cleanups) cleanup();
    process.exit(0);
  });
  main(process.argv.slice(2), {
    io,
    runner,
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
