/**
 * `pnpm synth [--env dev|prod] [--config overrides.json|yaml] [--out DIR] [--workflows DIR]`
 *
 * Resolves one configuration and writes every artifact from it:
 *   DIR/terraform/   Terraform JSON (CDKTF)
 *   DIR/chart/       the Helm chart
 *   DIR/manifests/   the chart rendered with its default values
 *   .github/workflows/  the pipeline (generated from dev and prod with the same overrides)
 *
 * Everything is computed in memory first; an invalid configuration (or any
 * failure while generating) writes nothing. Files are then written to a
 * staging directory beside DIR and swapped in, so DIR is never half-written.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import {
  ConfigError,
  ENVIRONMENTS,
  resolveConfig,
  resourceNames,
  type Environment,
  type FitTechConfig,
} from '@fittech/shared';
import { synthesizeFitTechChart } from '@fittech/manifests';
import { generateWorkflows, synthesizeTerraform } from '@fittech/infra';

export const REPO_ROOT = resolve(__dirname, '..', '..');

export interface SynthOptions {
  readonly env?: Environment;
  /** Path of a partial JSON or YAML overrides file. */
  readonly configFile?: string;
  /** Overrides given directly (instead of a file), e.g. by tests and benchmarks. */
  readonly overrides?: Record<string, unknown>;
  /** Output directory of terraform/, chart/ and manifests/ (default `dist`). */
  readonly out?: string;
  /** Where the workflows go (default `.github/workflows` in the repository); `false` skips them. */
  readonly workflowsDir?: string | false;
}

export type Files = Record<string, string>;

export interface SynthResult {
  readonly config: FitTechConfig;
  readonly out: string;
  readonly workflowsDir: string | false;
  readonly written: {
    terraform: string[];
    chart: string[];
    manifests: string[];
    workflows: string[];
  };
  /** Milliseconds per stage, for `pnpm bench`. */
  readonly timings: Record<'config' | 'terraform' | 'manifests' | 'workflows' | 'write', number>;
}

/** Reads an overrides file (JSON or YAML) with errors that name the file. */
export function readOverrides(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(
      [{ path: '(file)', value: file, message: `cannot be read: ${(e as Error).message}` }],
      `overrides file ${file}`,
    );
  }
  let data: unknown;
  try {
    data = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new ConfigError(
      [
        {
          path: '(file)',
          value: file,
          message: `is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message}`,
        },
      ],
      `overrides file ${file}`,
    );
  }
  if (data === null || data === undefined) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(
      [{ path: '(root)', value: data, message: 'must be an object with the shape of the config' }],
      `overrides file ${file}`,
    );
  }
  return data as Record<string, unknown>;
}

const now = () => performance.now();

/**
 * The overrides file as the workflows must name it: relative to the repository,
 * because the pipeline runs `pnpm synth --config <file>` in its checkout. A file
 * outside the repository cannot be used by the checked-in pipeline, so it is
 * refused there; workflows written elsewhere (`--workflows DIR`) name it as given.
 */
function workflowConfigFile(
  configFile: string | undefined,
  checkedInWorkflows: boolean,
): string | undefined {
  if (!configFile) return undefined;
  const rel = relative(REPO_ROOT, resolve(configFile));
  const outside = rel.startsWith('..') || isAbsolute(rel);
  if (outside && !checkedInWorkflows) return resolve(configFile);
  if (outside) {
    throw new ConfigError(
      [
        {
          path: '(file)',
          value: configFile,
          message:
            'is outside the repository, so the generated pipeline could not use it; move it into the repository, or pass --no-workflows (or --workflows DIR) to leave the checked-in pipeline alone',
        },
      ],
      `overrides file ${configFile}`,
    );
  }
  return rel.split(sep).join('/');
}

/** Computes every artifact in memory. Throws ConfigError before anything is generated. */
export function generate(options: SynthOptions = {}): {
  config: FitTechConfig;
  terraform: Files;
  chart: Files;
  manifests: Files;
  workflows: Files;
  timings: Omit<SynthResult['timings'], 'write'>;
} {
  const t0 = now();
  const overrides =
    options.overrides ?? (options.configFile ? readOverrides(options.configFile) : {});
  const source = options.configFile ? `configuration (${options.configFile})` : 'configuration';
  const env = options.env ?? 'dev';
  const config = resolveConfig({ env, overrides, source: `${source} for env "${env}"` });
  // The pipeline serves both environments, so both must resolve with these overrides.
  const configs = Object.fromEntries(
    ENVIRONMENTS.map((e) => [
      e,
      e === env ? config : resolveConfig({ env: e, overrides, source: `${source} for env "${e}"` }),
    ]),
  ) as Record<Environment, FitTechConfig>;
  const t1 = now();
  const terraform = synthesizeTerraform(config);
  const t2 = now();
  const { chart, manifests } = synthesizeFitTechChart(config);
  const t3 = now();
  const workflows =
    options.workflowsDir === false
      ? {}
      : generateWorkflows(configs, {
          configFile: workflowConfigFile(options.configFile, options.workflowsDir === undefined),
        });
  const t4 = now();
  return {
    config,
    terraform,
    chart,
    manifests,
    workflows,
    timings: { config: t1 - t0, terraform: t2 - t1, manifests: t3 - t2, workflows: t4 - t3 },
  };
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

/** Replaces `dir` with the given subtrees in one rename (staging beside it, then swap). */
function replaceDirectory(dir: string, subtrees: Record<string, Files>): void {
  const staging = `${dir}.staging-${process.pid}`;
  const previous = `${dir}.previous-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const [sub, files] of Object.entries(subtrees)) writeTree(join(staging, sub), files);
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

export function synth(options: SynthOptions = {}): SynthResult {
  const generated = generate(options);
  const out = resolve(options.out ?? join(REPO_ROOT, 'dist'));
  const workflowsDir =
    options.workflowsDir === false
      ? false
      : resolve(options.workflowsDir ?? join(REPO_ROOT, '.github', 'workflows'));
  const t0 = now();
  replaceDirectory(out, {
    terraform: generated.terraform,
    chart: generated.chart,
    manifests: generated.manifests,
  });
  if (workflowsDir) writeFilesAtomically(workflowsDir, generated.workflows);
  const write = now() - t0;
  const keys = (f: Files) => Object.keys(f).sort();
  return {
    config: generated.config,
    out,
    workflowsDir,
    written: {
      terraform: keys(generated.terraform),
      chart: keys(generated.chart),
      manifests: keys(generated.manifests),
      workflows: keys(generated.workflows),
    },
    timings: { ...generated.timings, write },
  };
}

const USAGE = `Usage: pnpm synth [--env dev|prod] [--config overrides.json|.yaml] [--out DIR] [--workflows DIR | --no-workflows]

  --env        named environment (default: dev)
  --config     partial config, deep-merged over the environment preset and validated
  --out        output directory for terraform/, chart/ and manifests/ (default: dist)
  --workflows  where the generated GitHub workflows go (default: .github/workflows)
  --no-workflows  do not write the workflows`;

export function main(argv: string[]): number {
  let args;
  try {
    args = parseArgs({
      args: argv,
      options: {
        env: { type: 'string', default: 'dev' },
        config: { type: 'string' },
        out: { type: 'string' },
        workflows: { type: 'string' },
        'no-workflows': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (e) {
    process.stderr.write(`synth: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!(ENVIRONMENTS as readonly string[]).includes(args.env)) {
    process.stderr.write(
      `synth: --env must be one of ${ENVIRONMENTS.join(', ')} (got "${args.env}")\n`,
    );
    return 2;
  }
  try {
    const result = synth({
      env: args.env as Environment,
      configFile: args.config,
      out: args.out,
      workflowsDir: args['no-workflows'] ? false : args.workflows,
    });
    const names = resourceNames(result.config);
    const rel = (p: string) => {
      const r = relative(process.cwd(), p);
      return r === '' ? '.' : r.startsWith('..') ? p : r;
    };
    const w = result.written;
    const lines = [
      `synth: env ${result.config.environment}, cluster ${names.cluster} (Kubernetes ${result.config.cluster.version}, ${result.config.region}), release ${names.release} in namespace ${names.namespace}`,
      `  ${rel(join(result.out, 'terraform'))}/  ${w.terraform.length} file(s): ${w.terraform.join(', ')}`,
      `  ${rel(join(result.out, 'chart'))}/      ${w.chart.length} file(s)`,
      `  ${rel(join(result.out, 'manifests'))}/  ${w.manifests.length} file(s)`,
    ];
    if (result.workflowsDir) {
      lines.push(`  ${rel(result.workflowsDir)}/  ${w.workflows.join(', ')}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`synth: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`synth: failed, nothing was written: ${(e as Error).stack ?? e}\n`);
    return 1;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
