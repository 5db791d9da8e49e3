/**
 * Synth, cold: each measurement is a fresh node process, repeated in rounds
 * (the first rounds are warm-ups and discarded) so that every comparison is
 * between samples taken side by side. The order rotates each round so no
 * measurement always runs first after another.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { ChildReport } from './children/report';
import { temporaryDirectory } from './cleanup';
import { readProfile, splitProfile, summarizeProfile, type ProfileSummary } from './profile';
import { ms, ratio, summarize, times, type Ratio, type Summary } from './stats';

/** tools/dist/bench → the synth CLI's compiled modules. */
const CLI_DIST = join(__dirname, '..', '..', '..', 'packages', 'cli', 'dist');
const child = (name: string) => join(__dirname, 'children', `${name}.js`);

/** The environment of every child: this one, without NODE_OPTIONS (a flag there would skew all of them). */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return env;
}

interface Measurement {
  readonly key: MeasurementKey;
  readonly argv: (out: string) => string[];
  /** Whether the child prints a ChildReport. */
  readonly reports: boolean;
}

export type MeasurementKey = 'node' | 'modules' | 'synth' | 'stages' | 'deep' | 'barrel';

export const MEASUREMENTS: Record<MeasurementKey, string> = {
  node: 'node -e 0',
  modules: 'node + synth’s modules (load only)',
  synth: 'synth CLI (--no-workflows)',
  stages: 'synth() by stage (child script)',
  deep: 'Terraform only, deep imports',
  barrel: 'Terraform only, provider barrel',
};

const measurements: Measurement[] = [
  { key: 'node', argv: () => ['-e', '0'], reports: false },
  { key: 'modules', argv: () => [child('load-modules')], reports: true },
  {
    key: 'synth',
    argv: (out) => [join(CLI_DIST, 'synth', 'cli.js'), '--out', join(out, 'cli'), '--no-workflows'],
    reports: false,
  },
  { key: 'stages', argv: (out) => [child('synth-stages'), join(out, 'stages')], reports: true },
  { key: 'deep', argv: () => [child('terraform-only'), 'deep'], reports: true },
  { key: 'barrel', argv: () => [child('terraform-only'), 'barrel'], reports: true },
];

interface Sample {
  readonly wall: number;
  readonly report?: ChildReport & Record<string, unknown>;
}

function measure(m: Measurement, out: string): Sample {
  const start = performance.now();
  const result = spawnSync(process.execPath, m.argv(out), {
    env: childEnv(),
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 16 * 1024 * 1024,
  });
  const wall = performance.now() - start;
  if (result.error || result.status !== 0) {
    throw new Error(
      `bench: "${MEASUREMENTS[m.key]}" failed (node ${m.argv(out).join(' ')}; exit ${result.status ?? result.signal}):\n` +
        `${result.error?.message ?? ''}${result.stderr}`,
    );
  }
  if (!m.reports) return { wall };
  const line = result.stdout.trim().split('\n').pop() ?? '';
  try {
    return { wall, report: JSON.parse(line) as Sample['report'] };
  } catch {
    throw new Error(`bench: "${MEASUREMENTS[m.key]}" printed no JSON report:\n${result.stdout}`);
  }
}

export const STAGES = [
  'boot',
  'moduleLoad',
  'config',
  'terraform',
  'manifests',
  'workflows',
  'write',
  'exit',
] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_LABELS: Record<Stage, string> = {
  boot: 'node start-up',
  moduleLoad: 'module load',
  config: 'config (resolve + validate)',
  terraform: 'Terraform (CDKTF synth)',
  manifests: 'manifests + Helm chart',
  workflows: 'workflows (skipped)',
  write: 'write files',
  exit: 'process exit + spawn',
};

export interface SynthResults {
  readonly rounds: number;
  readonly warmups: number;
  /** Wall time of each measurement, ms, spawn to exit. */
  readonly wall: Record<MeasurementKey, Summary & { samples: number[] }>;
  /** Where the stages child's wall time goes, ms. */
  readonly stages: Record<Stage, Summary>;
  /** Peak RSS, MiB. */
  readonly maxRssMiB: Record<'modules' | 'stages' | 'deep' | 'barrel', Summary>;
  /** Modules in require.cache at the end of each child. */
  readonly modulesLoaded: Record<'modules' | 'stages' | 'deep' | 'barrel', number>;
  /** The module floor's load time split by library, in load order (each: what it adds), ms. */
  readonly moduleLoadSteps: { name: string; ms: Summary }[];
  /** Time to require the provider barrel alone, ms. */
  readonly barrelLoad: Summary;
  /** Terraform synthesis alone (after module load), deep vs barrel, ms. */
  readonly terraformSynth: Record<'deep' | 'barrel', Summary>;
  readonly ratios: {
    /** synth CLI / `node -e 0`. */
    readonly synthOverNode: Ratio;
    /** synth CLI / node loading synth's modules. */
    readonly synthOverModules: Ratio;
    /** Terraform-only with the barrel / with deep imports. */
    readonly barrelOverDeep: Ratio;
  };
}

export function benchSynth(
  options: { rounds: number; warmups: number },
  log: (line: string) => void,
): SynthResults {
  const out = temporaryDirectory('fittech-bench-synth-');
  const samples = new Map<MeasurementKey, Sample[]>(measurements.map((m) => [m.key, []]));
  const total = options.warmups + options.rounds;
  for (let round = 0; round < total; round++) {
    const warmup = round < options.warmups;
    const order = measurements.map((_, i) => measurements[(i + round) % measurements.length]!);
    const taken = new Map<MeasurementKey, Sample>();
    for (const m of order) taken.set(m.key, measure(m, out));
    if (!warmup) for (const [key, sample] of taken) samples.get(key)!.push(sample);
    const cells = measurements.map((m) => `${m.key} ${ms(taken.get(m.key)!.wall)}`);
    log(
      `  ${warmup ? 'warm-up' : `round ${String(round - options.warmups + 1).padStart(2)}`}/${options.rounds}  ${cells.join(' · ')} ms`,
    );
  }

  const walls = (key: MeasurementKey) => samples.get(key)!.map((s) => s.wall);
  const reports = (key: MeasurementKey) => samples.get(key)!.map((s) => s.report!);
  const field = (key: MeasurementKey, name: string) => reports(key).map((r) => r[name] as number);

  const [deepHash, barrelHash] = (['deep', 'barrel'] as const).map((k) => {
    const hashes = new Set(field(k, 'sha256'));
    if (hashes.size !== 1) throw new Error(`bench: the ${k} Terraform differed between runs`);
    return [...hashes][0];
  });
  if (deepHash !== barrelHash) {
    throw new Error('bench: the barrel and deep-import runs produced different Terraform');
  }

  const stageSamples = (stage: Stage): number[] =>
    samples.get('stages')!.map(({ wall, report }) => {
      if (stage === 'boot') return report!.boot;
      if (stage === 'exit') return wall - report!.end;
      return report![stage] as number;
    });
  const rss = (key: 'modules' | 'stages' | 'deep' | 'barrel') =>
    summarize(reports(key).map((r) => r.maxRssKiB / 1024));
  const wall = Object.fromEntries(
    measurements.map((m) => [m.key, { ...summarize(walls(m.key)), samples: walls(m.key) }]),
  ) as SynthResults['wall'];

  return {
    rounds: options.rounds,
    warmups: options.warmups,
    wall,
    stages: Object.fromEntries(STAGES.map((s) => [s, summarize(stageSamples(s))])) as Record<
      Stage,
      Summary
    >,
    maxRssMiB: {
      modules: rss('modules'),
      stages: rss('stages'),
      deep: rss('deep'),
      barrel: rss('barrel'),
    },
    modulesLoaded: {
      modules: reports('modules')[0]!.modules,
      stages: reports('stages')[0]!.modules,
      deep: reports('deep')[0]!.modules,
      barrel: reports('barrel')[0]!.modules,
    },
    moduleLoadSteps: (reports('modules')[0]!.steps as { name: string }[]).map(({ name }, i) => ({
      name,
      ms: summarize(reports('modules').map((r) => (r.steps as { ms: number }[])[i]!.ms)),
    })),
    barrelLoad: summarize(field('barrel', 'barrelLoad')),
    terraformSynth: {
      deep: summarize(field('deep', 'terraform')),
      barrel: summarize(field('barrel', 'terraform')),
    },
    ratios: {
      synthOverNode: ratio(walls('synth'), walls('node')),
      synthOverModules: ratio(walls('synth'), walls('modules')),
      barrelOverDeep: ratio(walls('barrel'), walls('deep')),
    },
  };
}

export function synthSummaryLines(r: SynthResults): string[] {
  const w = (k: MeasurementKey) =>
    `${ms(r.wall[k].median)} ms (${ms(r.wall[k].min)}–${ms(r.wall[k].max)})`;
  return [
    ...(Object.keys(MEASUREMENTS) as MeasurementKey[]).map(
      (k) => `  ${MEASUREMENTS[k].padEnd(38)} ${w(k)}`,
    ),
    `  synth / node -e 0 ${times(r.ratios.synthOverNode)}, synth / module floor ${times(r.ratios.synthOverModules)}, barrel / deep ${times(r.ratios.barrelOverDeep)}`,
    `  stages (median ms): ${STAGES.map((s) => `${s} ${ms(r.stages[s].median)}`).join(', ')}`,
    `  peak RSS of a synth: ${r.maxRssMiB.stages.median.toFixed(0)} MiB; barrel load alone ${ms(r.barrelLoad.median)} ms`,
  ];
}

export interface SynthProfile {
  /** The whole process (module load included). */
  readonly all: ProfileSummary;
  /** Inside synthesizeTerraform (the CDKTF stage). */
  readonly terraform: ProfileSummary;
  /** Inside synthesizeFitTechChart (manifests, Helm chart, rendering). */
  readonly manifests: ProfileSummary;
  /** synthesizeFitTechChart's steps, sampled ms: building the cdk8s chart, packaging, rendering. */
  readonly manifestsSteps: Record<string, number>;
}

/** The calls synthesizeFitTechChart makes, in order, and what each one is. */
export const MANIFESTS_STEPS: Record<string, string> = {
  FitTechChart: 'build the cdk8s chart (constructs)',
  packageFitTechChart: 'package the Helm chart (templates, values, schema)',
  renderHelmChart: 'render it with default values (dist/manifests)',
  other: 'the rest (YAML of the rendered objects)',
};

/** One more synth, under the V8 sampling profiler (`--cpu-prof`, 0.1 ms interval). */
export function profileSynth(): SynthProfile {
  const dir = temporaryDirectory('fittech-bench-synth-profile-');
  const result = spawnSync(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--cpu-prof-interval=100',
      child('synth-stages'),
      join(dir, 'out'),
    ],
    { env: childEnv(), encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(`bench: the profiled synth failed (exit ${result.status}):\n${result.stderr}`);
  }
  const profile = readProfile(dir);
  return {
    all: summarizeProfile(profile),
    terraform: summarizeProfile(profile, { under: 'synthesizeTerraform' }),
    manifests: summarizeProfile(profile, { under: 'synthesizeFitTechChart' }),
    manifestsSteps: splitProfile(
      profile,
      'synthesizeFitTechChart',
      Object.keys(MANIFESTS_STEPS).filter((k) => k !== 'other'),
    ),
  };
}
