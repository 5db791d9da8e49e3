/**
 * `pnpm bench`: synth against its floor and the API with and without its
 * cache, as ratios measured in one run. Writes bench/results.json,
 * bench/README.md and bench/chart.svg. See bench/README.md for the method.
 *
 * Settings (environment variables, defaults in brackets): BENCH_SYNTH_ROUNDS [10],
 * BENCH_SYNTH_WARMUPS [1], BENCH_API_CONNECTIONS [10,50], BENCH_API_SUBRUNS [5],
 * BENCH_API_SUBRUN_SECONDS [2], BENCH_API_WARMUP_SECONDS [2], BENCH_READS_PER_WRITE [10],
 * BENCH_API_PROFILE_SECONDS [3],
 * BENCH_OUT [bench/ in the repository].
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { apiSummaryLines, benchApi, type ApiOptions } from './api';
import { cleanUpOnSignals, runCleanups, wasInterrupted } from './cleanup';
import { BUSY_PERCENT, backgroundCpu } from './cpu';
import { profileLines } from './profile';
import { writeReport, type BenchResults } from './report';
import { int } from './stats';
import { benchSynth, profileSynth, synthSummaryLines } from './synth';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

class SettingError extends Error {}

function setting(name: string, fallback: number, min: number, max: number, whole = true): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (whole && !Number.isInteger(value))
  ) {
    throw new SettingError(
      `${name} must be a ${whole ? 'whole number' : 'number'} from ${min} to ${max} (got "${raw}")`,
    );
  }
  return value;
}

function connectionsSetting(): number[] {
  const raw = process.env.BENCH_API_CONNECTIONS ?? '10,50';
  const values = raw.split(',').map((v) => Number(v.trim()));
  if (values.length === 0 || values.some((v) => !Number.isInteger(v) || v < 1 || v > 1000)) {
    throw new SettingError(
      `BENCH_API_CONNECTIONS must be a comma-separated list of whole numbers from 1 to 1000 (got "${raw}")`,
    );
  }
  return values;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return undefined;
  }
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function warnIfBusy(when: string, percent: number | undefined): void {
  if (percent === undefined) return;
  const busy = percent > BUSY_PERCENT;
  log(
    `  other processes used ${percent.toFixed(0)}% of a core ${when}${busy ? ' — WARNING: the machine is busy; absolute figures will be low and noisy (ratios suffer less, being taken side by side)' : ''}`,
  );
}

async function main(): Promise<number> {
  cleanUpOnSignals();
  let synthOptions;
  let apiOptions: ApiOptions;
  let out: string;
  try {
    synthOptions = {
      rounds: setting('BENCH_SYNTH_ROUNDS', 10, 1, 1000),
      warmups: setting('BENCH_SYNTH_WARMUPS', 1, 0, 100),
    };
    apiOptions = {
      connections: connectionsSetting(),
      subRuns: setting('BENCH_API_SUBRUNS', 5, 1, 100),
      subRunSeconds: setting('BENCH_API_SUBRUN_SECONDS', 2, 0.5, 600, false),
      warmupSeconds: setting('BENCH_API_WARMUP_SECONDS', 2, 0, 600, false),
      readsPerWrite: setting('BENCH_READS_PER_WRITE', 10, 1, 1000),
      profileSeconds: setting('BENCH_API_PROFILE_SECONDS', 3, 0, 600, false),
    };
    out = resolve(process.env.BENCH_OUT ?? resolve(REPO_ROOT, 'bench'));
  } catch (error) {
    if (error instanceof SettingError) {
      process.stderr.write(`bench: ${error.message}\n`);
      return 2;
    }
    throw error;
  }

  const started = performance.now();
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = (git(['status', '--porcelain']) ?? '') !== '';
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${release()}`,
    loadAverage: loadavg(),
    backgroundCpu: { before: await backgroundCpu(2_000), after: undefined as number | undefined },
  };
  log(
    `bench: ${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, node ${machine.node}, commit ${commit ?? '?'}${dirty ? ' (uncommitted changes)' : ''}, load average ${machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}`,
  );
  warnIfBusy('before the run', machine.backgroundCpu.before);
  try {
    log(
      `\nsynth — cold processes, ${synthOptions.rounds} rounds after ${synthOptions.warmups} warm-up (wall ms per measurement):`,
    );
    const synth = benchSynth(synthOptions, log);
    for (const line of synthSummaryLines(synth)) log(line);
    log('  profiling one more synth (node --cpu-prof)…');
    const synthProfile = profileSynth();
    for (const line of profileLines('synth, whole process', synthProfile.all)) log(line);
    for (const line of profileLines('synth, inside synthesizeTerraform', synthProfile.terraform))
      log(line);
    for (const line of profileLines('synth, inside synthesizeFitTechChart', synthProfile.manifests))
      log(line);
    const steps = Object.entries(synthProfile.manifestsSteps).map(
      ([call, ms]) => `${call} ${((100 * ms) / synthProfile.manifests.totalMs).toFixed(0)}%`,
    );
    log(`  synthesizeFitTechChart by call: ${steps.join(', ')}`);

    log(
      `\nAPI — ${apiOptions.subRuns} × ${apiOptions.subRunSeconds} s per scenario and load after a ${apiOptions.warmupSeconds} s warm-up:`,
    );
    const api = await benchApi(apiOptions, log);
    if (api.skipped) log(`  SKIPPED: ${api.reason}`);
    else for (const line of apiSummaryLines(api)) log(line);
    if (!api.skipped && api.profiles) {
      for (const [key, p] of Object.entries(api.profiles)) {
        const title = `API, GET /dashboard ${key === 'cached' ? 'with' : 'without'} Redis (${int(p.requestsPerSecond)} req/s while profiled)`;
        for (const line of profileLines(title, p)) log(line);
      }
    }

    machine.backgroundCpu.after = await backgroundCpu(2_000);
    warnIfBusy('after the run', machine.backgroundCpu.after);
    const results: BenchResults = {
      generatedAt: new Date().toISOString(),
      commit: commit ? `${commit}${dirty ? '+uncommitted' : ''}` : 'unknown',
      machine,
      synth,
      synthProfile,
      api,
    };
    const files = await writeReport(results, out, log);
    log(`\nwrote ${files.join(', ')} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return 0;
  } finally {
    await runCleanups();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  async (error: unknown) => {
    if (wasInterrupted()) return;
    const message =
      error instanceof Error
        ? error.message.startsWith('bench:')
          ? error.message
          : `bench: failed: ${error.stack ?? error.message}`
        : `bench: failed: ${String(error)}`;
    process.stderr.write(`\n${message}\n`);
    await runCleanups();
    process.exitCode = 1;
  },
);
