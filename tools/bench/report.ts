/**
 * Writes the run's results: bench/results.json (everything, raw samples
 * included), bench/README.md (tables, findings computed from the numbers, the
 * method) and bench/chart.svg.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import {
  SCENARIOS,
  type ApiResults,
  type LevelResult,
  type ScenarioKey,
  type ScenarioResult,
  readHitShare,
} from './api';
import { barChart, type Bar, type Panel } from './chart';
import { BUSY_PERCENT } from './cpu';
import type { ProfileSummary } from './profile';
import { int, ms, ratio, ratioSpread, spread, times, summarize, type Summary } from './stats';
import {
  MEASUREMENTS,
  STAGE_LABELS,
  STAGES,
  type MeasurementKey,
  type Stage,
  type SynthProfile,
  type SynthResults,
  MANIFESTS_STEPS,
} from './synth';

export interface BenchResults {
  readonly generatedAt: string;
  readonly commit: string;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memoryGiB: number;
    readonly node: string;
    readonly os: string;
    /** 1, 5 and 15 minute load averages when the run started. */
    readonly loadAverage: readonly number[];
    /** CPU of other processes (% of one core) over 2 s before and after the run. */
    readonly backgroundCpu: { readonly before?: number; readonly after?: number };
  };
  readonly synth: SynthResults;
  readonly synthProfile: SynthProfile;
  readonly api: ApiResults;
}

const STAGE_COLORS: Record<Stage, string> = {
  boot: '#9c9c9c',
  moduleLoad: '#f28e2b',
  config: '#edc948',
  terraform: '#4e79a7',
  manifests: '#59a14f',
  workflows: '#76b7b2',
  write: '#b07aa1',
  exit: '#d4cfcb',
};
const MEASUREMENT_COLORS: Record<MeasurementKey, string> = {
  node: STAGE_COLORS.boot,
  modules: STAGE_COLORS.moduleLoad,
  synth: '#3b4a5a',
  stages: '#3b4a5a',
  deep: '#76b7b2',
  barrel: '#e15759',
};
const SCENARIO_COLORS: Record<ScenarioKey, string> = {
  health: '#9c9c9c',
  cached: '#59a14f',
  etag: '#8cd17d',
  uncached: '#e15759',
  writes: '#4e79a7',
};

const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)} %`;
const mib = (v: number) => `${v.toFixed(0)} MiB`;
const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const table = (head: readonly string[], rows: readonly (readonly (string | number)[])[]) =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/** API CPU time per request, µs: the API process's CPU share over its request rate. */
/** The API's CPU µs per request in each sub-run; undefined unless every sub-run has its CPU. */
function cpuSamples(s: ScenarioResult): number[] | undefined {
  if (s.subRuns.length === 0 || s.subRuns.some((r) => !r.cpu)) return undefined;
  return s.subRuns.map((r) => ((r.cpu!.api / 100) * 1e6) / r.requestsPerSecond);
}

function cpuPerRequest(s: ScenarioResult): Summary | undefined {
  const samples = cpuSamples(s);
  return samples && summarize(samples);
}

function cacheMix(cache: Record<string, number>): string {
  const total = Object.values(cache).reduce((a, b) => a + b, 0);
  if (total === 0) return '–';
  return Object.entries(cache)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${((100 * v) / total).toFixed(v === total ? 0 : 1)} %`)
    .join(', ');
}

function profileTable(p: ProfileSummary, count: number): string {
  const byPackage = p.topPackages.slice(0, count);
  const byFunction = p.topFunctions.slice(0, count);
  const rows = Array.from({ length: Math.max(byPackage.length, byFunction.length) }, (_, i) => {
    const a = byPackage[i];
    const b = byFunction[i];
    return [
      a ? code(a.name) : '',
      a ? `${a.percent.toFixed(1)} %` : '',
      b ? code(b.name) : '',
      b ? `${b.percent.toFixed(1)} %` : '',
    ];
  });
  return table(['package (self time)', 'share', 'function (self time)', 'share'], rows);
}

/** What a top profile entry is known to mean, when a function is recognised. */
const KNOWN_CAUSES: readonly { match: RegExp; explanation: string }[] = [
  {
    match: /^createPublicKey\s+node:internal\/crypto\/keys/,
    explanation:
      "`createPublicKey` is jsonwebtoken's `verify()` at work: given the secret as a string, it first tries to parse it as a PEM public key, which throws, and only then makes a secret key from it, on every request. Passing a `KeyObject` made once (`crypto.createSecretKey(Buffer.from(SECRET_KEY))`) skips both, and this frame with them.",
  },
];

function synthSection(r: BenchResults): string[] {
  const s = r.synth;
  const w = s.wall;
  const wallRow = (k: MeasurementKey) => [
    MEASUREMENTS[k],
    ms(w[k].median),
    ms(w[k].min),
    ms(w[k].max),
  ];
  const stagesWall = w.stages.median;
  const stageRows = STAGES.filter((st) => st !== 'workflows').map((st) => [
    STAGE_LABELS[st],
    ms(s.stages[st].median),
    `${ms(s.stages[st].min)}–${ms(s.stages[st].max)}`,
    pct(s.stages[st].median, stagesWall),
  ]);
  const p = r.synthProfile;
  return [
    '## Synth',
    '',
    `Cold processes: each measurement starts a fresh \`node\`, ${s.rounds} rounds after ${s.warmups} warm-up round(s) that are discarded; within a round the measurements run one after another, in an order that rotates from round to round. Wall time is spawn to exit, in ms. The synth CLI runs from its esbuild bundle with V8’s code cache and synthesizes Terraform in a worker thread, from a bundle of its own without the chart’s libraries, while its main thread loads those and builds the chart: on two cores its wall time is less than the sum of its stages. The stage child below runs the same \`synth()\` unbundled in one thread, so its stages add up to its wall time.`,
    '',
    table(
      ['measurement', 'median', 'min', 'max'],
      (Object.keys(MEASUREMENTS) as MeasurementKey[]).map(wallRow),
    ),
    '',
    table(
      ['ratio (same run)', 'median ratio (paired-round min–max)'],
      [
        ['synth CLI / `node -e 0`', ratioSpread(s.ratios.synthOverNode)],
        [
          'synth CLI / node loading synth’s modules (the floor)',
          ratioSpread(s.ratios.synthOverModules),
        ],
        ['Terraform only: provider barrel / deep imports', ratioSpread(s.ratios.barrelOverDeep)],
      ],
    ),
    '',
    `Peak memory (max RSS) of a synth in one thread (the stage child): **${spread(s.maxRssMiB.stages, (v) => v.toFixed(0))} MiB**; node loading the same modules and doing nothing: ${mib(s.maxRssMiB.modules.median)}.`,
    '',
    '### Where a synth’s time goes',
    '',
    `From the stage child (\`tools/bench/children/synth-stages.ts\`, ${ms(stagesWall)} ms wall): node’s start-up is \`performance.now()\` at its first line, module load is the \`import\` of \`tools/synth\` and \`@fittech/infra/synthesize\`, the next stages are \`synth()\`’s own \`timings\`, and the rest of the wall time is exit plus spawn. The workflows stage is skipped, as with \`--no-workflows\`. “Manifests + Helm chart” is \`synthesizeFitTechChart\`: building the cdk8s chart, packaging it as a Helm chart and rendering that with its default values: one call, timed as one stage, split by the profile below.`,
    '',
    table(['stage', 'median ms', 'min–max', 'share of wall'], stageRows),
    '',
    'Module load by library, from the floor child (`tools/bench/children/load-modules.ts`), which loads the libraries one at a time in this order, each from the package that depends on it; each row is what that library adds to those before it:',
    '',
    table(
      ['library', 'median ms', 'min–max'],
      s.moduleLoadSteps.map((step) => [
        code(step.name),
        ms(step.ms.median),
        `${ms(step.ms.min)}–${ms(step.ms.max)}`,
      ]),
    ),
    '',
    `One more synth runs under the sampling profiler (\`node --cpu-prof\`, 0.1 ms interval; the profiler slows it down, so read shares, not times). The manifests stage, \`synthesizeFitTechChart\` (${p.manifests.totalMs.toFixed(0)} ms sampled), by the call it was in:`,
    '',
    table(
      ['step', 'call', 'share'],
      Object.entries(MANIFESTS_STEPS).map(([fn, what]) => [
        what,
        fn === 'other' ? '–' : code(fn),
        pct(p.manifestsSteps[fn] ?? 0, p.manifests.totalMs),
      ]),
    ),
    '',
    'and by self time:',
    '',
    profileTable(p.manifests, 6),
    '',
    `… and inside \`synthesizeTerraform\` (${p.terraform.totalMs.toFixed(0)} ms sampled):`,
    '',
    profileTable(p.terraform, 6),
    '',
    '### Deep imports against the provider barrel',
    '',
    'The same stack, `synthesizeTerraform(resolveConfig())` in a fresh process (`tools/bench/children/terraform-only.ts`): once as built, with deep imports (`@cdktf/provider-aws/lib/<resource>`), once after loading the barrel (`@cdktf/provider-aws`) first, as a stack importing it would. Both produce byte-identical Terraform (checked by hash).',
    '',
    table(
      ['', 'wall ms', 'of which synthesizeTerraform', 'modules loaded', 'peak RSS'],
      (['deep', 'barrel'] as const).map((k) => [
        MEASUREMENTS[k],
        spread(w[k], ms),
        spread(s.terraformSynth[k], ms),
        int(s.modulesLoaded[k]),
        mib(s.maxRssMiB[k].median),
      ]),
    ),
    '',
    `Loading the barrel alone takes ${spread(s.barrelLoad, ms)} ms.`,
  ];
}

function levelTable(level: LevelResult): string {
  const rows = (Object.keys(SCENARIOS) as ScenarioKey[]).map((key) => {
    const sc = level.scenarios[key];
    const perRequest = cpuPerRequest(sc);
    const bad = sc.unexpected + sc.errors + sc.timeouts;
    return [
      sc.label,
      `**${int(sc.requestsPerSecond.median)}** (${int(sc.requestsPerSecond.min)}–${int(sc.requestsPerSecond.max)})`,
      spread(sc.p50, ms),
      spread(sc.p99, ms),
      bad === 0 ? '0' : `**${sc.unexpected} / ${sc.errors} / ${sc.timeouts}**`,
      cacheMix(sc.cache),
      sc.cpu
        ? `${sc.cpu.api.median.toFixed(0)} / ${sc.cpu.loadGenerator.median.toFixed(0)} / ${sc.cpu.other.median.toFixed(0)}`
        : '–',
      perRequest ? int(perRequest.median) : '–',
      sc.peakRssMiB ? `${sc.peakRssMiB.median.toFixed(0)} (${sc.peakRssMiB.max.toFixed(0)})` : '–',
    ];
  });
  return table(
    [
      'scenario',
      'req/s',
      'p50 ms',
      'p99 ms',
      'unexpected status / errors / timeouts',
      'X-Cache',
      'CPU % api / load gen / other',
      'API CPU µs per request',
      'API peak RSS MiB, median (max)',
    ],
    rows,
  );
}

function apiSection(r: BenchResults): string[] {
  const api = r.api;
  if (api.skipped) {
    return ['## API', '', `**Not measured on this machine:** ${api.reason}.`];
  }
  const o = api.options;
  const out = [
    '## API',
    '',
    `The built server (\`node packages/api/dist/main.js\`) as a child process, with the dev environment’s ConfigMap from \`@fittech/shared\` as a pod gets it (\`DB_POOL_MAX\` ${api.instanceEnvironment.DB_POOL_MAX}, \`NODE_ENV\` ${api.instanceEnvironment.NODE_ENV}, \`LOG_LEVEL\` ${api.instanceEnvironment.LOG_LEVEL}: one JSON access line per request, written to a file as a container runtime would take it; probes log at \`debug\`, so \`/health\` writes none; the cached instance wrote ${mib(api.cachedLogBytes / 2 ** 20)} of logs in this run), against PostgreSQL ${api.postgresVersion} and Redis started for the run on this machine. A second instance has \`REDIS_URL\` on a port where nothing listens, so it reads PostgreSQL for every request, as during a cache outage. One user is seeded over HTTP with ${api.seed.days} days of ${api.seed.foodLogsPerDay} food logs and ${api.seed.workoutsPerDay} workout a day; an uncached dashboard is 4 queries (the token’s user, onboarding, food logs, workouts). A warm-cache hit is none: the token’s check and user are remembered per replica (kept coherent by a trigger on \`users\`), and the response bytes with their ETag come from the API’s memory (Redis is the second tier).`,
    '',
    `The load generator is autocannon, in the benchmark’s own process: a fixed number of keep-alive connections, each sending its next request when the previous one is answered (a closed loop, so latency includes queueing at saturation). Each scenario: a ${o.warmupSeconds} s warm-up, then ${o.subRuns} × ${o.subRunSeconds} s sub-runs interleaved with the other scenarios’ in rotating order; figures are the median (min–max) over sub-runs, latency percentiles are over every response of a sub-run. The conditional scenario is a polling client: it sends the dashboard’s ETag in \`If-None-Match\` and expects 304 without a body. The write scenario sends \`POST /users/{id}/food-logs\` after every ${o.readsPerWrite} dashboard reads on each connection, through the cached instance; its food logs are dated a year back so today’s dashboard, and the work per read, stay the same through the run. With one user, every write changes the entry every connection reads: the worst case for invalidation. The writing replica recomputes the entry before it answers the write and bumps the user’s generation only then, so the reads meanwhile hit the previous entry (the write is not answered yet) and the ones after it hit the new one; concurrent misses of one key share one load (\`coalesced\`). CPU is % of one core (this machine has ${r.machine.cores}) from /proc: the API process, the load generator, and everything else (PostgreSQL, Redis, the kernel); API CPU per request is the API’s CPU time over its responses. Peak RSS is the API process’s high-water mark (VmHWM) within each sub-run, reset before it. X-Cache counts the responses by that header (\`none\`: no header, as on \`/health\` and the writes).`,
    '',
    ...goalsSection(api),
  ];
  for (const level of api.levels) {
    out.push(`### ${level.connections} connections`, '', levelTable(level), '');
    out.push(
      table(
        ['ratio (same run)', 'median ratio (paired sub-run min–max)'],
        [
          ['req/s, warm cache / no Redis', ratioSpread(level.ratios.cachedOverUncached)],
          ['req/s, warm cache / `GET /health`', ratioSpread(level.ratios.cachedOverFloor)],
          ['req/s, no Redis / `GET /health`', ratioSpread(level.ratios.uncachedOverFloor)],
          [`req/s, with writes / warm cache`, ratioSpread(level.ratios.writesOverCached)],
          [`req/s, with writes / no Redis`, ratioSpread(level.ratios.writesOverUncached)],
          ['req/s, If-None-Match (304) / `GET /health`', ratioSpread(level.ratios.etagOverFloor)],
          ['p99 latency, warm cache / `GET /health`', ratioSpread(level.ratios.cachedOverFloorP99)],
          ['p50 latency, no Redis / warm cache', ratioSpread(level.ratios.uncachedOverCachedP50)],
        ],
      ),
      '',
    );
  }
  if (api.profiles) {
    out.push(
      '### Where the API’s CPU goes',
      '',
      `\`node --cpu-prof\` on a separate instance under the dashboard load (10 connections, ${o.profileSeconds} s after a 1 s warm-up; only the samples of the measured load, idle excluded):`,
      '',
    );
    for (const [key, p] of Object.entries(api.profiles)) {
      out.push(
        `**GET /dashboard ${key === 'cached' ? 'with a warm cache' : 'without Redis'}** (${int(p.requestsPerSecond)} req/s while profiled, ${p.totalMs.toFixed(0)} ms sampled):`,
        '',
        profileTable(p, 8),
        '',
      );
    }
    const causes = new Set<string>();
    for (const p of Object.values(api.profiles)) {
      const first = p.topFunctions[0];
      const cause = first && KNOWN_CAUSES.find((c) => c.match.test(first.name));
      if (cause) causes.add(cause.explanation);
    }
    out.push(...[...causes].flatMap((c) => [c, '']));
  }
  return out;
}

/** The goals of issue 16, each against this run's figures. */
function goalsSection(api: Extract<BenchResults['api'], { skipped: false }>): string[] {
  const rows: (string | number)[][] = [];
  const check = (met: boolean) => (met ? 'met' : '**not met**');
  for (const level of api.levels) {
    const c = level.connections;
    const r = level.ratios;
    const hits = level.scenarios.writes.subRuns.map((run) => readHitShare(run.cache));
    // At saturation requests/s is the inverse of CPU per request: the same goal, steadier on a busy machine.
    const byCpu = (over: ScenarioKey, under: ScenarioKey) => {
      const a = cpuSamples(level.scenarios[over]);
      const b = cpuSamples(level.scenarios[under]);
      return a && b ? `${ratio(b, a).value.toFixed(2)}×` : '–';
    };
    rows.push(
      [
        `${c} conn.: warm dashboard req/s ≥ 0.8× \`/health\``,
        times(r.cachedOverFloor),
        byCpu('cached', 'health'),
        check(r.cachedOverFloor.value >= 0.8),
      ],
      [
        `${c} conn.: warm dashboard p99 ≤ 1.5× \`/health\`’s`,
        times(r.cachedOverFloorP99),
        '',
        check(r.cachedOverFloorP99.value <= 1.5),
      ],
    );
    if (c === 50 || api.levels.length === 1) {
      rows.push(
        [
          `${c} conn., 1 write / ${api.options.readsPerWrite} reads: ≥ 90 % hits in every sub-run`,
          hits.map((h) => `${h.toFixed(1)} %`).join(', '),
          '',
          check(Math.min(...hits) >= 90),
        ],
        [
          `${c} conn., 1 write / ${api.options.readsPerWrite} reads: req/s ≥ 0.8× read-only cached`,
          times(r.writesOverCached),
          byCpu('writes', 'cached'),
          check(r.writesOverCached.value >= 0.8),
        ],
      );
    }
  }
  return [
    '### Goals',
    '',
    'Medians of same-run ratios (paired sub-runs); the tables below give their spread. “By CPU” is the same requests/s ratio as the API’s CPU per request predicts it at saturation (the inverse ratio of µs per request): on a busy machine, where the API does not get a whole core, it is the steadier of the two. The verdict is on the measured requests/s.',
    '',
    table(['goal', 'this run', 'by CPU', ''], rows),
    '',
  ];
}

function findings(r: BenchResults): string[] {
  const s = r.synth;
  const stagesWall = s.wall.stages.median;
  const floorPart = s.stages.boot.median + s.stages.moduleLoad.median;
  const work =
    s.stages.config.median +
    s.stages.terraform.median +
    s.stages.manifests.median +
    s.stages.write.median;
  const heaviest = [...s.moduleLoadSteps].sort((a, b) => b.ms.median - a.ms.median).slice(0, 3);
  const chartTop = r.synthProfile.manifests.topPackages.slice(0, 2);
  const steps = r.synthProfile.manifestsSteps;
  const manifestsMs = r.synthProfile.manifests.totalMs;
  const lines = [
    `- **Synth** takes ${ms(s.wall.synth.median)} ms cold, ${times(s.ratios.synthOverNode)} \`node -e 0\` and ${times(s.ratios.synthOverModules)} node loading its modules and doing nothing. Of the stage child’s ${ms(stagesWall)} ms, ${ms(floorPart)} ms (${pct(floorPart, stagesWall)}) is node starting and loading modules (heaviest: ${heaviest.map((h) => `${h.name} ${ms(h.ms.median)} ms`).join(', ')}); generating and writing take ${ms(work)} ms (${pct(work, stagesWall)}), of which the manifests and Helm chart ${ms(s.stages.manifests.median)} ms (in its profile: building the cdk8s chart ${pct(steps.FitTechChart ?? 0, manifestsMs)}, packaging ${pct(steps.packageFitTechChart ?? 0, manifestsMs)}, rendering ${pct(steps.renderHelmChart ?? 0, manifestsMs)}; by library mostly ${chartTop.map((t) => `${t.name} ${t.percent.toFixed(0)} %`).join(' and ')}) and Terraform ${ms(s.stages.terraform.median)} ms. Peak RSS ${mib(s.maxRssMiB.stages.median)}.`,
    `- **Deep imports**: with the provider barrel the same Terraform takes ${times(s.ratios.barrelOverDeep)} as long (medians ${ms(s.wall.barrel.median)} against ${ms(s.wall.deep.median)} ms), loads ${int(s.modulesLoaded.barrel)} modules instead of ${int(s.modulesLoaded.deep)} and peaks at ${mib(s.maxRssMiB.barrel.median)} instead of ${mib(s.maxRssMiB.deep.median)}.`,
  ];
  if (r.api.skipped) return lines;
  for (const level of r.api.levels) {
    const sc = level.scenarios;
    const c = level.ratios.cachedOverUncached.value;
    const verdict =
      level.ratios.cachedOverUncached.min > 1
        ? 'the cache pays for itself'
        : level.ratios.cachedOverUncached.max < 1
          ? 'the cache costs more than it saves'
          : 'the cache makes no consistent difference';
    const perRun = sc.writes.subRuns.map((run) => readHitShare(run.cache));
    const hitNote = Number.isFinite(readHitShare(sc.writes.cache))
      ? `${readHitShare(sc.writes.cache).toFixed(1)} % of reads still hit (${Math.min(...perRun).toFixed(1)}–${Math.max(...perRun).toFixed(1)} % by sub-run) and `
      : '';
    const errors = Object.values(sc).reduce((t, x) => t + x.unexpected + x.errors + x.timeouts, 0);
    const perRequest = (key: ScenarioKey) => cpuPerRequest(sc[key])?.median;
    const saturated = (sc.cached.cpu?.api.median ?? 0) >= 90;
    const cpuNote =
      perRequest('cached') !== undefined
        ? saturated
          ? ` The API process is the bottleneck in every scenario (its one JavaScript thread is saturated: ${sc.cached.cpu!.api.median.toFixed(0)} % of a core with GC and I/O threads); it spends ${int(perRequest('health')!)} µs of CPU per \`/health\`, ${int(perRequest('cached')!)} µs per cached dashboard and ${int(perRequest('uncached')!)} µs per uncached one.`
          : ` The API process was not saturated (${sc.cached.cpu!.api.median.toFixed(0)} % of a core with a warm cache) while other processes used ${sc.cached.cpu!.other.median.toFixed(0)} % of a core: requests/s and latencies here say as much about the machine as about the API, and CPU per request is the steadier figure: ${int(perRequest('health')!)} µs per \`/health\`, ${int(perRequest('cached')!)} µs per cached dashboard, ${int(perRequest('writes')!)} µs per request with writes, ${int(perRequest('uncached')!)} µs per uncached dashboard.`
        : '';
    lines.push(
      `- **API, ${level.connections} connections**: ${verdict}: ${times(c)} the requests/s of the no-Redis instance (medians ${int(sc.cached.requestsPerSecond.median)} against ${int(sc.uncached.requestsPerSecond.median)}), p50 ${ms(sc.cached.p50.median)} against ${ms(sc.uncached.p50.median)} ms. With one write per ${r.api.options.readsPerWrite} reads, ${hitNote}it serves ${times(level.ratios.writesOverCached)} the read-only cached rate (${times(level.ratios.writesOverUncached)} the no-Redis rate). The warm-cache dashboard reaches ${times(level.ratios.cachedOverFloor)} the rate of \`GET /health\` (p99 ${times(level.ratios.cachedOverFloorP99)} its p99), a polling client answered 304 ${times(level.ratios.etagOverFloor)}.${cpuNote} ${errors === 0 ? 'Every response had the status its scenario expects (2xx; 304 for the conditional GET), no errors.' : `**${errors} unexpected statuses, errors or timeouts** (see the table).`}`,
    );
  }
  const profiles = r.api.profiles;
  const top = profiles && [profiles.cached.topFunctions[0], profiles.uncached.topFunctions[0]];
  if (top?.[0] && top[1]) {
    lines.push(
      `- **Where a cached dashboard’s CPU goes**: the largest single cost in the API’s CPU profile is ${code(top[0].name)}, ${top[0].percent.toFixed(0)} % of its CPU with a warm cache${top[1].name === top[0].name ? ` and ${top[1].percent.toFixed(0)} % without Redis` : `; without Redis it is ${code(top[1].name)}, ${top[1].percent.toFixed(0)} %`} (see [Where the API’s CPU goes](#where-the-apis-cpu-goes)).`,
    );
  }
  return lines;
}

function chartSvg(r: BenchResults): string {
  const s = r.synth;
  const synthBars: Bar[] = (['node', 'modules', 'synth', 'deep', 'barrel'] as const).map((k) => ({
    label: MEASUREMENTS[k],
    median: s.wall[k].median,
    min: s.wall[k].min,
    max: s.wall[k].max,
    color: MEASUREMENT_COLORS[k],
  }));
  const stages = STAGES.filter((st) => st !== 'workflows');
  const stageBar: Bar = {
    label: 'synth() by stage',
    median: stages.reduce((t, st) => t + s.stages[st].median, 0),
    color: '#000',
    segments: stages.map((st) => ({ value: s.stages[st].median, color: STAGE_COLORS[st] })),
    note: `${ms(stages.reduce((t, st) => t + s.stages[st].median, 0))} ms (sum of stage medians)`,
  };
  const panels: Panel[] = [
    {
      title: 'Synth, cold process: wall time (median, whiskers min–max)',
      unit: 'ms',
      format: (v) => int(v),
      rows: [...synthBars.slice(0, 3), stageBar, ...synthBars.slice(3)],
      legend: {
        title: 'synth() by stage:',
        items: stages.map((st) => ({
          label: STAGE_LABELS[st].split(' (')[0]!,
          color: STAGE_COLORS[st],
        })),
      },
    },
  ];
  if (!r.api.skipped) {
    panels.push({
      title: 'API throughput: requests/s (median, whiskers min–max)',
      unit: 'req/s',
      format: (v) => int(v),
      rows: r.api.levels.flatMap((level) => [
        { heading: `${level.connections} connections` },
        ...(Object.keys(SCENARIOS) as ScenarioKey[]).map((key) => {
          const sc = level.scenarios[key];
          return {
            label: sc.label,
            median: sc.requestsPerSecond.median,
            min: sc.requestsPerSecond.min,
            max: sc.requestsPerSecond.max,
            color: SCENARIO_COLORS[key],
          };
        }),
      ]),
    });
  }
  return barChart(
    panels,
    `pnpm bench, ${r.generatedAt.slice(0, 16).replace('T', ' ')} UTC, ${r.machine.cores} × ${r.machine.cpu}, node ${r.machine.node}, commit ${r.commit}`,
  );
}

function background(cpu: BenchResults['machine']['backgroundCpu']): string {
  if (cpu.before === undefined || cpu.after === undefined) return 'background load not measured';
  const busy = Math.max(cpu.before, cpu.after) > BUSY_PERCENT;
  return `other processes used ${cpu.before.toFixed(0)} % of a core just before the run and ${cpu.after.toFixed(0)} % just after${busy ? ' — **the machine was busy**: absolute figures are low and noisy; the ratios, taken side by side, suffer less' : ' (a quiet machine)'}`;
}

function readme(r: BenchResults): string {
  const m = r.machine;
  return [
    '# Benchmarks',
    '',
    '<!-- Generated by `pnpm bench` (tools/bench/); edit the generator, not this file. -->',
    '',
    'What users pay for, measured on one machine in one run: how long `pnpm synth` takes against the floor of starting node and loading its modules, what the deep imports of `@cdktf/provider-aws` save, and what the Redis sidecar buys the API. Absolute times drift on shared machines, so every comparison is a ratio of measurements taken side by side in the same run; every figure is a median over repeated runs after a warm-up, shown with its min and max.',
    '',
    `Run: ${r.generatedAt.slice(0, 19).replace('T', ' ')} UTC, commit ${code(r.commit)}, ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, node ${m.node}, ${m.os}; ${background(m.backgroundCpu)}. Raw samples: [results.json](results.json).`,
    '',
    '![Synth wall time by measurement and by stage; API requests/s by scenario and load](chart.svg)',
    '',
    '## Findings',
    '',
    ...findings(r),
    '',
    ...synthSection(r),
    '',
    ...apiSection(r),
    '',
    '## How it is built',
    '',
    '`tools/bench/`: `run.ts` (entry point, settings), `synth.ts` (the cold-process rounds), `api.ts` (servers, seed, scenarios), `load.ts` (one autocannon run with exact latencies, X-Cache counts and CPU shares from `cpu.ts`), `profile.ts` (summaries of `--cpu-prof` profiles), `stats.ts` (median, min, max, ratios), `report.ts` and `chart.ts` (this file, `chart.svg`), `cleanup.ts` (everything started is stopped and removed, also on failure or Ctrl-C); `children/` holds the scripts each cold process runs.',
    '',
    '## Running it',
    '',
    '```sh',
    'pnpm bench        # builds, then runs tools/dist/bench/run.js; about 3 minutes on 2 cores',
    '```',
    '',
    'Settings, as environment variables: `BENCH_SYNTH_ROUNDS` (10), `BENCH_SYNTH_WARMUPS` (1), `BENCH_API_CONNECTIONS` (10,50), `BENCH_API_SUBRUNS` (5), `BENCH_API_SUBRUN_SECONDS` (2), `BENCH_API_WARMUP_SECONDS` (2), `BENCH_READS_PER_WRITE` (10), `BENCH_API_PROFILE_SECONDS` (3; 0 skips the profiles), `BENCH_OUT` (this directory). PostgreSQL and Redis are started from the installed binaries on free ports in temporary directories and removed afterwards, as are the API processes, also on failure or Ctrl-C. Without the server binaries the API part is skipped and says why.',
    '',
  ].join('\n');
}

export async function writeReport(
  results: BenchResults,
  dir: string,
  _log: (line: string) => void,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const readmePath = join(dir, 'README.md');
  const options = (await resolveConfig(readmePath)) ?? {};
  writeFileSync(readmePath, await format(readme(results), { ...options, parser: 'markdown' }));
  writeFileSync(join(dir, 'chart.svg'), chartSvg(results));
  return ['results.json', 'README.md', 'chart.svg'].map((f) => join(dir, f));
}
