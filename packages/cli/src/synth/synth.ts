/**
 * `pnpm synth [--env NAME] [--config overrides.json|yaml] [--out DIR]`
 *
 * Resolves one environment of the committed project configuration
 * (fittech.config.ts), optionally with ad-hoc overrides for a preview, and
 * writes every artifact from it:
 *   DIR/terraform/   Terraform JSON (CDKTF)
 *   DIR/chart/       the Helm chart
 *   DIR/manifests/   the chart rendered with its default values
 *   DIR/fittech-stamp.json  environment, config hash and commit (the deploy CLI checks it)
 * and, only without --config and --out, the committed generated files, which
 * come from fittech.config.ts alone (every environment, no overrides):
 *   .github/workflows/, fittech.overrides.schema.json, compose.yaml
 *
 * Everything is computed in memory first; an invalid configuration (or any
 * failure while generating) writes nothing. Files are then written to a
 * staging directory beside DIR and swapped in, so DIR is never half-written;
 * the Terraform files come last, so that a Terraform stage running in another
 * thread (the bundled CLI's) can finish meanwhile, and if it fails the staging
 * directory is removed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  ConfigError,
  OVERRIDES_SCHEMA_FILE,
  chartVersion,
  defaultImageRepository,
  ociTag,
  type SynthStamp,
  STAMP_FILE,
  environmentNames,
  overridesJsonSchema,
  readOverridesFile,
  resolveConfig,
  resourceNames,
  synthStamp,
  type FitTechConfig,
  type Locate,
  type ProjectConfig,
} from '@fittech/shared';
import { PROJECT_CONFIG_FILE, loadProjectConfig } from '@fittech/shared/loader';
import { CHART_VERSION, keepCompiledValidators, synthesizeFitTechChart } from '@fittech/manifests';
// The module, not the package's index: the index also loads the deploy CLI's modules.
import { generateWorkflows } from '../pipeline/workflows';
import { milliseconds } from '../clock';
import { composeFile, COMPOSE_FILE } from '../compose';

/** The repository: this file runs from packages/cli/src/synth (tests) and packages/cli/dist/synth. */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..', '..');
/**
 * Where the CLI keeps the chart's compiled values validators between runs
 * (keepCompiledValidators): compiling them is a tenth of a second per run.
 */
export const VALIDATOR_CACHE = join(REPO_ROOT, 'node_modules', '.cache', 'fittech-values');
/** The committed workflows, relative to the repository. */
export const WORKFLOWS_DIR = join('.github', 'workflows');

export interface SynthOptions {
  /** An environment of the project configuration (default: its first). */
  readonly env?: string;
  /** The project configuration file (default: fittech.config.ts at the repository root). */
  readonly projectFile?: string;
  /** The project configuration itself (tests), instead of the file. */
  readonly project?: ProjectConfig;
  /** Path of an ad-hoc partial JSON or YAML overrides file (relative to `cwd`). */
  readonly configFile?: string;
  /** Overrides given directly (instead of a file), e.g. by tests and benchmarks. */
  readonly overrides?: Record<string, unknown>;
  /** Output directory of terraform/, chart/ and manifests/ (default: dist at the repository root). */
  readonly out?: string;
  /**
   * The repository whose committed generated files are rewritten
   * (`.github/workflows/`, the overrides JSON Schema, compose.yaml). Default:
   * this repository, but only when no ad-hoc option (configFile, overrides,
   * out) is given; `false` never writes them.
   */
  readonly repoDir?: string | false;
  /** `false`: the same as `repoDir: false` (skips generating them too). */
  readonly workflowsDir?: false;
  /** The directory relative paths are resolved against (default: process.cwd()). */
  readonly cwd?: string;
  /** Where Terraform is synthesized (default: terraformHere). */
  readonly terraform?: TerraformStage;
  /**
   * The commit the chart version names (tests); `false` for none. @default - this
   * checkout's HEAD, with its tags (a release commit gives the release version)
   */
  readonly commit?: { readonly id: string; readonly tags: readonly string[] } | false;
}

export type Files = Record<string, string>;

/**
 * The Terraform stage: given the resolved configuration before the chart is
 * built, it returns what gives its files once the chart is done, so that it
 * can run meanwhile elsewhere (the bundled CLI runs it in a worker thread,
 * terraform-worker/).
 */
export type TerraformStage = (config: FitTechConfig) => () => Files;

/**
 * Terraform in this thread, at once. CDKTF (`@fittech/infra/synthesize`)
 * loads on the first call, so that the bundled CLI's main thread, which
 * never calls it, never loads it.
 */
export const terraformHere: TerraformStage = (config) => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const infra = require('@fittech/infra/synthesize') as typeof import('@fittech/infra/synthesize');
  const files = infra.synthesizeTerraform(config);
  return () => files;
};

export interface SynthResult {
  readonly config: FitTechConfig;
  readonly out: string;
  /** Where the committed generated files were written, or false for a preview. */
  readonly repoDir: string | false;
  readonly written: {
    terraform: string[];
    chart: string[];
    manifests: string[];
    workflows: string[];
  };
  /** Milliseconds per stage, for `pnpm bench`. */
  readonly timings: Record<'config' | 'terraform' | 'manifests' | 'workflows' | 'write', number>;
}

/** The project configuration: given, or loaded from its file. */
export function projectOf(options: SynthOptions): { project: ProjectConfig; source: string } {
  if (options.project) return { project: options.project, source: PROJECT_CONFIG_FILE };
  const file = resolve(
    options.cwd ?? process.cwd(),
    options.projectFile ?? join(REPO_ROOT, PROJECT_CONFIG_FILE),
  );
  return { project: loadProjectConfig(file), source: relative(REPO_ROOT, file) || file };
}

/** Every environment of the project, resolved without overrides: what the pipeline deploys. */
export function projectConfigs(
  project: ProjectConfig,
  projectSource: string,
): Record<string, FitTechConfig> {
  return Object.fromEntries(
    environmentNames(project).map((env) => [env, resolveConfig({ env, project, projectSource })]),
  );
}

/** Every artifact, computed in memory. */
export interface Generated {
  config: FitTechConfig;
  /** The chart's version and appVersion, and what the stamp records of them. */
  build: BuildVersions;
  terraform: Files;
  chart: Files;
  manifests: Files;
  /** Generated from the project configuration alone, never from overrides. */
  workflows: Files;
  /** The other committed generated files, at the repository root. */
  rootFiles: Files;
  timings: Omit<SynthResult['timings'], 'write'>;
}

/** Generated, but with Terraform still to come from its stage: `synth()` writes the rest meanwhile. */
type Generation = Omit<Generated, 'terraform'> & {
  /**
   * Waits for the Terraform stage (if it runs elsewhere) and returns its
   * files and how long this thread waited (also added to `timings.terraform`).
   */
  terraform: () => { files: Files; waitedMs: number };
};

function startGeneration(options: SynthOptions): Generation {
  const t0 = milliseconds();
  const { project, source: projectSource } = projectOf(options);
  let overrides = options.overrides;
  let locate: Locate | undefined;
  if (!overrides && options.configFile) {
    const file = readOverridesFile(
      resolve(options.cwd ?? process.cwd(), options.configFile),
      options.configFile,
    );
    overrides = file.data;
    // Messages name the file as the user typed it.
    locate = (path) => file.locate(path)?.replace(/^.*?(:\d+:\d+)$/, `${options.configFile}$1`);
  }
  const env = options.env ?? environmentNames(project)[0] ?? 'dev';
  const config = resolveConfig({
    env,
    project,
    projectSource,
    ...(overrides ? { overrides } : {}),
    ...(options.configFile ? { source: options.configFile } : {}),
    ...(locate ? { locate } : {}),
  });
  const committed = projectConfigs(project, projectSource);
  const t1 = milliseconds();
  const terraformFiles = (options.terraform ?? terraformHere)(config);
  const t2 = milliseconds();
  const build = buildVersions(
    config,
    options.commit === undefined ? currentCommit() : options.commit,
  );
  const { chart, manifests } = synthesizeFitTechChart(config, build.chart);
  const t3 = milliseconds();
  const workflows = options.workflowsDir === false ? {} : generateWorkflows(committed);
  const rootFiles: Files =
    options.workflowsDir === false
      ? {}
      : {
          [OVERRIDES_SCHEMA_FILE]: `${JSON.stringify(overridesJsonSchema(), null, 2)}\n`,
          [COMPOSE_FILE]: composeFile(committed[environmentNames(project)[0]!]!),
        };
  const t4 = milliseconds();
  const timings = { config: t1 - t0, terraform: t2 - t1, manifests: t3 - t2, workflows: t4 - t3 };
  return {
    config,
    build,
    chart,
    manifests,
    workflows,
    rootFiles,
    timings,
    terraform() {
      const start = milliseconds();
      const files = terraformFiles();
      const waitedMs = milliseconds() - start;
      // In another thread, Terraform costs this one the time it waits for it.
      timings.terraform += waitedMs;
      return { files, waitedMs };
    },
  };
}

/** Computes every artifact in memory. Throws ConfigError before anything is generated. */
export function generate(options: SynthOptions = {}): Generated {
  const generation = startGeneration(options);
  const { files } = generation.terraform();
  return { ...generation, terraform: files };
}

function writeTree(dir: string, files: Files): void {
  for (const [path, contents] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const target = join(dir, path);
    if (relative(dir, target).startsWith('..'))
      throw new Error(`Refusing to write outside ${dir}: ${path}`);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, contents);
  }
}

/**
 * Replaces `dir` with the given subtrees in one rename (staging beside it,
 * then swap). A subtree given as a function is asked for its files when its
 * turn comes, after the subtrees before it are written; if it throws, nothing
 * is left behind.
 */
function replaceDirectory(dir: string, subtrees: Record<string, Files | (() => Files)>): void {
  const staging = `${dir}.staging-${process.pid}`;
  const previous = `${dir}.previous-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const [sub, files] of Object.entries(subtrees)) {
      writeTree(join(staging, sub), typeof files === 'function' ? files() : files);
    }
    if (existsSync(dir)) renameSync(dir, previous);
    renameSync(staging, dir);
    rmSync(previous, { recursive: true, force: true });
  } catch (e) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(dir) && existsSync(previous)) renameSync(previous, dir);
    throw e;
  }
}

/** Writes each file through a temporary sibling and a rename: other files in `dir` are kept. */
function writeFilesAtomically(dir: string, files: Files): void {
  mkdirSync(dir, { recursive: true });
  for (const [path, contents] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    const tmp = `${target}.tmp-${process.pid}`;
    writeFileSync(tmp, contents);
    renameSync(tmp, target);
  }
}

/** git, in the repository; undefined when it fails (not a checkout, no git). */
function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
  } catch {
    return undefined;
  }
}

/** The commit synthesized from and its tags, when this is a git checkout. */
function currentCommit(): { id: string; tags: string[] } | false {
  const id = git(['rev-parse', 'HEAD']);
  if (!id) return false;
  const tags = git(['tag', '--points-at', id]);
  return { id, tags: tags ? tags.split('\n') : [] };
}

/** @fittech/api's version: the chart's appVersion. */
function apiVersion(): string {
  const file = join(REPO_ROOT, 'packages', 'api', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** The chart's versions and what the stamp records of them. */
export interface BuildVersions {
  readonly commit?: string;
  readonly chart: { readonly version: string; readonly appVersion: string };
  readonly stamp: Pick<SynthStamp, 'chart' | 'image'>;
}

/**
 * Chart `version`: the release version (@fittech/manifests's, see chartVersion), naming the
 * commit on any build that is not the release's; `appVersion`: @fittech/api's version. The
 * stamp ties the chart version to the image the pipeline deploys with it (tagged by commit).
 */
function buildVersions(
  config: FitTechConfig,
  commit: { id: string; tags: readonly string[] } | false,
): BuildVersions {
  const version = chartVersion({
    releaseVersion: CHART_VERSION,
    ...(commit ? { commit: commit.id, tags: commit.tags } : {}),
    // The chart still differs between environments: each gets its own version.
    environment: config.environment,
  });
  const appVersion = apiVersion();
  return {
    ...(commit ? { commit: commit.id } : {}),
    chart: { version, appVersion },
    stamp: {
      chart: {
        name: resourceNames(config).chart,
        version,
        appVersion,
        path: 'chart',
        ociTag: ociTag(version),
      },
      image: {
        repository: defaultImageRepository(config),
        tag: commit ? commit.id : config.api.imageTag,
      },
    },
  };
}

/** Whether the options ask for a preview (then the committed generated files are left alone). */
export function isAdHoc(options: SynthOptions): boolean {
  return Boolean(options.configFile || options.overrides || options.out);
}

export function synth(options: SynthOptions = {}): SynthResult {
  const cwd = options.cwd ?? process.cwd();
  const repoDir =
    options.repoDir === false ||
    options.workflowsDir === false ||
    (options.repoDir === undefined && isAdHoc(options))
      ? false
      : resolve(cwd, options.repoDir ?? REPO_ROOT);
  const generated = startGeneration({ ...options, ...(repoDir ? {} : { workflowsDir: false }) });
  const out = resolve(cwd, options.out ?? join(REPO_ROOT, 'dist'));
  const t0 = milliseconds();
  let terraform: Files = {};
  let waited = 0;
  replaceDirectory(out, {
    chart: generated.chart,
    manifests: generated.manifests,
    '': {
      [STAMP_FILE]: `${JSON.stringify(synthStamp(generated.config, generated.build.commit, generated.build.stamp), null, 2)}\n`,
    },
    // Last: while the other files are written, Terraform may still be synthesizing in its worker.
    terraform: () => {
      ({ files: terraform, waitedMs: waited } = generated.terraform());
      return terraform;
    },
  });
  if (repoDir) {
    writeFilesAtomically(join(repoDir, WORKFLOWS_DIR), generated.workflows);
    writeFilesAtomically(repoDir, generated.rootFiles);
  }
  const write = milliseconds() - t0 - waited;
  const keys = (f: Files) => Object.keys(f).sort();
  return {
    config: generated.config,
    out,
    repoDir,
    written: {
      terraform: keys(terraform),
      chart: keys(generated.chart),
      manifests: keys(generated.manifests),
      workflows: repoDir ? keys(generated.workflows) : [],
    },
    timings: { ...generated.timings, write },
  };
}

export interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** The option table: it parses the arguments and it is the `--help` text. */
function program(io: Io): Command {
  return (
    new Command('pnpm synth')
      .description(
        'Write Terraform, the Helm chart and the rendered manifests for one environment of fittech.config.ts. ' +
          'Without --config and --out it also regenerates the committed files that come from fittech.config.ts ' +
          'alone: .github/workflows, fittech.overrides.schema.json and compose.yaml.',
      )
      .option(
        '--env <name>',
        'an environment of fittech.config.ts (default: the first it declares)',
      )
      .option(
        '--config <file>',
        'ad-hoc overrides (JSON or YAML, same shape as an environment) for a preview; never changes the committed files',
      )
      .option(
        '--out <dir>',
        'output directory of terraform/, chart/ and manifests/ (default: dist at the repository root)',
      )
      .option(
        '--project <file>',
        `the project configuration (default: ${PROJECT_CONFIG_FILE} at the repository root)`,
      )
      .addOption(
        new Option('--cwd <dir>', 'the directory relative paths are resolved against').hideHelp(),
      )
      // Older scripts' way to leave the committed files alone; --out or --config already does.
      .addOption(
        new Option('--no-workflows', 'do not write the committed generated files').hideHelp(),
      )
      .helpOption('-h, --help', 'show this text')
      .addHelpText(
        'after',
        '\nPaths are relative to the directory you run the command from.\nExit status: 0 done, 1 invalid configuration or failed synthesis (nothing written), 2 wrong usage.',
      )
      .allowExcessArguments(false)
      .exitOverride()
      .configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
        outputError: (text, write) => write(`synth: ${text.replace(/^error: /, '')}`),
      })
      .showSuggestionAfterError(true)
  );
}

export function main(
  argv: string[],
  io: Io = process,
  terraform: TerraformStage = terraformHere,
): number {
  keepCompiledValidators(VALIDATOR_CACHE);
  const cli = program(io);
  let args: {
    env?: string;
    config?: string;
    out?: string;
    project?: string;
    cwd?: string;
    workflows?: boolean;
  };
  try {
    cli.parse(argv, { from: 'user' });
    args = cli.opts();
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0;
      io.stderr.write(`Run pnpm synth --help for the options.\n`);
      return 2;
    }
    throw e;
  }
  // `pnpm synth` runs in the repository root; the pnpm script passes where the user stood.
  const cwd = args.cwd ? resolve(args.cwd) : process.cwd();
  try {
    const result = synth({
      cwd,
      terraform,
      ...(args.env !== undefined ? { env: args.env } : {}),
      ...(args.config !== undefined ? { configFile: args.config } : {}),
      ...(args.out !== undefined ? { out: args.out } : {}),
      ...(args.project !== undefined ? { projectFile: args.project } : {}),
      ...(args.workflows === false ? { repoDir: false as const } : {}),
    });
    const names = resourceNames(result.config);
    const rel = (p: string) => {
      const r = relative(cwd, p);
      return r === '' ? '.' : r.startsWith('..') ? p : r;
    };
    const w = result.written;
    const lines = [
      `synth: env ${result.config.environment}, cluster ${names.cluster} (Kubernetes ${result.config.cluster.version}, ${result.config.region}), release ${names.release} in namespace ${names.namespace}`,
      `  ${rel(join(result.out, 'terraform'))}/  ${w.terraform.length} file(s): ${w.terraform.join(', ')}`,
      `  ${rel(join(result.out, 'chart'))}/      ${w.chart.length} file(s)`,
      `  ${rel(join(result.out, 'manifests'))}/  ${w.manifests.length} file(s)`,
      `  ${rel(join(result.out, STAMP_FILE))}`,
    ];
    if (result.repoDir) {
      lines.push(`  ${rel(join(result.repoDir, WORKFLOWS_DIR))}/  ${w.workflows.join(', ')}`);
      lines.push(
        `  ${rel(join(result.repoDir, OVERRIDES_SCHEMA_FILE))}, ${rel(join(result.repoDir, COMPOSE_FILE))}`,
      );
    } else {
      lines.push(
        '  (a preview: .github/workflows and the other committed files are left as they are)',
      );
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      io.stderr.write(`synth: ${e.message}\n`);
      return 1;
    }
    io.stderr.write(`synth: failed, nothing was written: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
