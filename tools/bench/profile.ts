/**
 * Summaries of V8 CPU profiles (`node --cpu-prof`): self time by function and
 * by package, and inclusive time of chosen functions, in % of all samples.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: number[];
}
interface CpuProfile {
  readonly nodes: ProfileNode[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  /** Sampled time, ms. */
  readonly totalMs: number;
  readonly topFunctions: ProfileEntry[];
  readonly topPackages: ProfileEntry[];
}

/** `@scope/name` or `name` of a node_modules path; a workspace package; node's internals. */
export function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (built-in)';
  const path = url.replace(/^file:\/\//, '');
  const marker = `node_modules${sep}`;
  const at = path.lastIndexOf(marker);
  if (at >= 0) {
    const [first, second] = path.slice(at + marker.length).split(sep);
    return first!.startsWith('@') ? `${first}/${second}` : first!;
  }
  const workspace = /packages\/([^/]+)\//.exec(path);
  if (workspace) return `@fittech/${workspace[1]}`;
  if (path.includes(`${sep}tools${sep}`)) return 'tools';
  return path;
}

function shortLocation(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const at = path.lastIndexOf(`node_modules${sep}`);
  if (at >= 0) return path.slice(at + 'node_modules/'.length);
  const repo = /(packages|tools)\/.*$/.exec(path);
  return repo ? repo[0] : path;
}

function top(map: Map<string, number>, total: number, count: number): ProfileEntry[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, us]) => ({ name, ms: us / 1000, percent: (100 * us) / total }));
}

/**
 * Self time by function and by package. With `under`, only the samples taken
 * inside a call of that function (e.g. `synthesizeTerraform`) count; with
 * `window`, only those taken in that time window. Idle
 * samples never count: percentages are of the time the thread was busy.
 */
export function summarizeProfile(
  profile: CpuProfile,
  options: {
    under?: string;
    count?: number;
    /** Only samples taken in this window, ms after the profile started. */
    window?: { fromMs: number; toMs: number };
  } = {},
): ProfileSummary {
  const count = options.count ?? 12;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const inside = new Map<number, boolean>();
  const isInside = (id: number): boolean => {
    const known = inside.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    const up = parent.get(id);
    const result =
      node?.callFrame.functionName === options.under || (up !== undefined && isInside(up));
    inside.set(id, result);
    return result;
  };
  const selfByFunction = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  let total = 0;
  const { samples, timeDeltas } = profile;
  const meanDelta = timeDeltas.reduce((a, b) => a + b, 0) / Math.max(1, timeDeltas.length);
  let at = 0;
  for (let i = 0; i < samples.length; i++) {
    at += timeDeltas[i] ?? 0;
    if (options.window && (at < options.window.fromMs * 1000 || at > options.window.toMs * 1000)) {
      continue;
    }
    // A sample lasts until the next one; the last gets the mean interval.
    const us = i + 1 < timeDeltas.length ? timeDeltas[i + 1]! : meanDelta;
    const node = byId.get(samples[i]!);
    if (!node || us <= 0 || node.callFrame.functionName === '(idle)') continue;
    if (options.under !== undefined && !isInside(node.id)) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const name = url
      ? `${functionName || '(anonymous)'}  ${shortLocation(url)}:${lineNumber + 1}`
      : functionName;
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + us);
    const pkg = packageOf(url, functionName);
    selfByPackage.set(pkg, (selfByPackage.get(pkg) ?? 0) + us);
  }
  return {
    totalMs: total / 1000,
    topFunctions: top(selfByFunction, total, count),
    topPackages: top(selfByPackage, total, count),
  };
}

/**
 * How the samples inside `under` split between calls of the named functions
 * (each sample goes to the innermost of them on its stack, or to `other`), ms.
 */
export function splitProfile(
  profile: CpuProfile,
  under: string,
  names: readonly string[],
): Record<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const split: Record<string, number> = Object.fromEntries([...names, 'other'].map((n) => [n, 0]));
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const us = timeDeltas[i + 1] ?? 0;
    let bucket: string | undefined;
    let inside = false;
    for (let id: number | undefined = samples[i]; id !== undefined; id = parent.get(id)) {
      const name = byId.get(id)?.callFrame.functionName ?? '';
      if (bucket === undefined && names.includes(name)) bucket = name;
      if (name === under) {
        inside = true;
        break;
      }
    }
    if (inside) split[bucket ?? 'other']! += us / 1000;
  }
  return split;
}

/** The single .cpuprofile a process wrote into `dir`. */
export function readProfile(dir: string): CpuProfile {
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length !== 1) {
    throw new Error(`bench: expected one .cpuprofile in ${dir}, found ${files.length}`);
  }
  return JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as CpuProfile;
}

/** A few lines for the console: the top packages and functions by self time. */
export function profileLines(title: string, p: ProfileSummary, count = 6): string[] {
  const entry = (e: ProfileEntry) => `${e.percent.toFixed(1).padStart(5)}%  ${e.name}`;
  return [
    `  ${title} — ${p.totalMs.toFixed(0)} ms sampled; self time by package:`,
    ...p.topPackages.slice(0, count).map((e) => `    ${entry(e)}`),
    `    top functions:`,
    ...p.topFunctions.slice(0, count).map((e) => `    ${entry(e)}`),
  ];
}
