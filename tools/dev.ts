/**
 * `pnpm dev [--env NAME]`: the FitTech API on this machine in one command.
 *
 * The API's environment comes from the same contract the manifests use
 * (@fittech/shared apiEnvironment), filled from fittech.config.ts's
 * environment; any variable of the contract set in your environment wins
 * (DATABASE_URL, REDIS_URL, PORT, SECRET_KEY, LOG_LEVEL, ...). Without
 * DATABASE_URL / REDIS_URL it starts a PostgreSQL and a Redis from the local
 * server binaries and removes them when it stops. It runs the migrations,
 * starts the compiled API, prints the URL and a sample curl, and rebuilds and
 * restarts on changes under packages/api/src and packages/shared/src.
 * Ctrl-C (or SIGTERM) stops the API, then what it started, and exits 0.
 */
import { randomBytes } from 'node:crypto';
import { join, relative, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  ApiEnvironmentError,
  ConfigError,
  apiEnvironment,
  apiEnvironmentManifest,
  environmentNames,
  parseApiEnvironment,
  resolveConfig,
  type FitTechConfig,
} from '@fittech/shared';
import { PROJECT_CONFIG_FILE, loadProjectConfig } from '@fittech/shared/loader';
import { ApiExitedError, runMigrations, startApi, type RunningApi } from './dev/api-process';
import { ServicesError, localServices, type LocalServices } from './dev/services';
import { build, watchSources, type Build, type SourceWatcher } from './dev/watch';

const REPO_ROOT = resolve(__dirname, '..', '..');
const API_DIR = join(REPO_ROOT, 'packages', 'api');
const WATCHED = [join(API_DIR, 'src'), join(REPO_ROOT, 'packages', 'shared', 'src')];
const TSC = require.resolve('typescript/bin/tsc');

interface Args {
  env?: string;
  project?: string;
  cwd?: string;
}

function parseArgs(argv: string[]): Args | number {
  const cli = new Command('pnpm dev')
    .description(
      'Run the FitTech API locally: the environment from fittech.config.ts and the API contract, ' +
        'PostgreSQL and Redis from DATABASE_URL/REDIS_URL or started (and removed) here, migrations, ' +
        'and a rebuild and restart on every source change.',
    )
    .option('--env <name>', 'an environment of fittech.config.ts (default: the first it declares)')
    .option(
      '--project <file>',
      `the project configuration (default: ${PROJECT_CONFIG_FILE} at the repository root)`,
    )
    .addOption(
      new Option('--cwd <dir>', 'the directory relative paths are resolved against').hideHelp(),
    )
    .helpOption('-h, --help', 'show this text')
    .addHelpText(
      'after',
      '\nAny variable of the API contract set in your environment wins over the config (DATABASE_URL, REDIS_URL, PORT, METRICS_PORT, SECRET_KEY, ...).' +
        '\nExit status: 0 stopped by Ctrl-C/SIGTERM, 1 invalid configuration or environment, or the API could not start, 2 wrong usage.',
    )
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`dev: ${text.replace(/^error: /, '')}`),
    })
    .showSuggestionAfterError(true);
  try {
    cli.parse(argv, { from: 'user' });
    return cli.opts<Args>();
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      process.stderr.write('Run pnpm dev --help for the options.\n');
      return 2;
    }
    throw e;
  }
}

function loadConfig(args: Args): FitTechConfig {
  const cwd = args.cwd ? resolve(args.cwd) : process.cwd();
  const file = args.project ? resolve(cwd, args.project) : join(REPO_ROOT, PROJECT_CONFIG_FILE);
  const project = loadProjectConfig(file);
  return resolveConfig({
    env: args.env ?? environmentNames(project)[0] ?? 'dev',
    project,
    projectSource: relative(cwd, file) || file,
  });
}

/**
 * The API's environment: the contract's values for this config, a local
 * Redis/PostgreSQL, a session key; then whatever the caller set for any
 * variable of the contract.
 */
function apiEnv(config: FitTechConfig, services: LocalServices): NodeJS.ProcessEnv {
  const fromConfig: Record<string, string> = {
    ...apiEnvironmentManifest(config).configMap,
    NODE_ENV: 'development',
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    SECRET_KEY: randomBytes(32).toString('hex'),
  };
  const given = Object.fromEntries(
    Object.keys(apiEnvironment)
      .filter((name) => process.env[name])
      .map((name) => [name, process.env[name]!]),
  );
  return { ...process.env, ...fromConfig, ...given };
}

function banner(config: FitTechConfig, env: NodeJS.ProcessEnv, services: LocalServices): string {
  const url = `http://127.0.0.1:${env.PORT}`;
  return [
    ...services.description.map((line) => `dev: ${line}`),
    `dev: SECRET_KEY: ${process.env.SECRET_KEY ? 'from your environment' : 'a random key for this session'}`,
    `dev: FitTech API (env ${config.environment}) at ${url} — Ctrl-C stops it and removes what it started`,
    `  curl -s ${url}${env.HEALTH_PATH}`,
    `  curl -s http://127.0.0.1:${env.METRICS_PORT}${env.READY_PATH}    # readiness, on the probe port`,
    `  curl -s -X POST ${url}/auth/register -H 'Content-Type: application/json' -d '{"email":"you@example.com","password":"correct horse battery"}'`,
    `dev: watching packages/api/src and packages/shared/src; a change rebuilds and restarts the API`,
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'number') return args;
  let config: FitTechConfig;
  try {
    config = loadConfig(args);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`dev: ${e.message}\n`);
      return 1;
    }
    throw e;
  }

  let services: LocalServices;
  try {
    services = await localServices(config, process.env);
  } catch (e) {
    process.stderr.write(`dev: ${e instanceof ServicesError ? e.message : (e as Error).stack}\n`);
    return 1;
  }
  const env = apiEnv(config, services);
  let parsed;
  try {
    parsed = parseApiEnvironment(env);
  } catch (e) {
    await services.remove();
    if (e instanceof ApiEnvironmentError) {
      process.stderr.write(`dev: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const options = {
    apiDir: API_DIR,
    env,
    port: parsed.PORT,
    healthPath: parsed.HEALTH_PATH,
    stopTimeoutMs: (parsed.SHUTDOWN_TIMEOUT_SECONDS + 10) * 1000,
    output: process.stdout,
  };

  let api: RunningApi | undefined;
  let stopping = false;
  let currentBuild: Build | undefined;
  let watcher: SourceWatcher | undefined;
  const say = (line: string) => process.stdout.write(`dev: ${line}\n`);

  /** Migrations, then the API; a failure is reported and the session waits for a change. */
  const launch = async (): Promise<boolean> => {
    try {
      await runMigrations(options);
      if (stopping) return false;
      api = await startApi(options);
    } catch (e) {
      say(e instanceof ApiExitedError ? e.message : (e as Error).message);
      return false;
    }
    const running = api;
    void running.exited.then((code) => {
      if (api === running && !stopping) {
        api = undefined;
        say(`the API exited (${code}); save a source file to restart it, or Ctrl-C to stop`);
      }
    });
    return true;
  };

  let queue = Promise.resolve();
  const restart = (files: string[]) => {
    queue = queue.then(async () => {
      if (stopping) return;
      say(`changed: ${files.map((f) => relative(REPO_ROOT, f)).join(', ')}; rebuilding`);
      currentBuild = build(TSC, join(API_DIR, 'tsconfig.json'), REPO_ROOT);
      const result = await currentBuild.done;
      currentBuild = undefined;
      if (stopping) return;
      if (!result.ok) {
        say(`the build failed; the API keeps running the previous build:\n${result.output.trim()}`);
        return;
      }
      const previous = api;
      api = undefined;
      await previous?.stop();
      if (stopping) return;
      if (await launch()) say(`restarted at http://127.0.0.1:${parsed.PORT}`);
    });
  };

  const stopped = new Promise<void>((resolveStopped) => {
    const shutdown = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      say(`${signal}: stopping the API and removing what this session started`);
      watcher?.close();
      currentBuild?.cancel();
      void (async () => {
        await queue;
        await api?.stop();
        await services.remove();
        resolveStopped();
      })();
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, shutdown);
  });

  // In the queue, so a stop during start-up waits for it and then stops what it started.
  let launched = false;
  queue = queue.then(async () => {
    launched = await launch();
  });
  await queue;
  if (!launched && !stopping) {
    stopping = true;
    await services.remove();
    return 1;
  }
  if (!stopping) {
    watcher = watchSources(WATCHED, restart);
    process.stdout.write(`${banner(config, env, services)}\n`);
  }
  await stopped;
  say('stopped');
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`dev: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
