/**
 * Who used the CPU during a load run: the API process, the load generator
 * (this process) and everything else on the machine (PostgreSQL, Redis, the
 * kernel), in % of one core, from /proc (Linux). Elsewhere it reports nothing.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface CpuShare {
  /** % of one core; the machine has `cores` × 100 %. */
  readonly api: number;
  readonly loadGenerator: number;
  readonly other: number;
}

const available = existsSync('/proc/stat');
const ticksPerSecond = (() => {
  if (!available) return 100;
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** Busy time of all cores together, seconds (user + nice + system + irq + softirq + steal). */
function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.slice(1, 9).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) / ticksPerSecond;
}

/**
 * utime + stime of a process, seconds (the fields after the command name, which
 * may hold spaces); NaN once the process is gone.
 */
function processSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return Number.NaN;
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Starts a measurement; the returned function ends it. */
export function cpuMeter(apiPid: number): () => CpuShare | undefined {
  if (!available) return () => undefined;
  const start = {
    wall: performance.now(),
    machine: machineBusySeconds(),
    api: processSeconds(apiPid),
    self: process.cpuUsage(),
  };
  return () => {
    const seconds = (performance.now() - start.wall) / 1000;
    const self = process.cpuUsage(start.self);
    const api = processSeconds(apiPid) - start.api;
    const loadGenerator = (self.user + self.system) / 1e6;
    const machine = machineBusySeconds() - start.machine;
    if (!Number.isFinite(api)) return undefined;
    const pct = (s: number) => (100 * s) / seconds;
    return {
      api: pct(api),
      loadGenerator: pct(loadGenerator),
      other: pct(Math.max(0, machine - api - loadGenerator)),
    };
  };
}

/** Other processes' CPU (% of one core) above which the figures are mostly about them. */
export const BUSY_PERCENT = 20;

/**
 * CPU that other processes use while this one sleeps for `ms`: % of one core.
 * A benchmark on a busy machine measures the machine, not the code; this says
 * how busy it was. Undefined where /proc is not available.
 */
export async function backgroundCpu(ms: number): Promise<number | undefined> {
  if (!available) return undefined;
  const start = { wall: performance.now(), machine: machineBusySeconds() };
  await new Promise((r) => setTimeout(r, ms));
  const seconds = (performance.now() - start.wall) / 1000;
  return (100 * (machineBusySeconds() - start.machine)) / seconds;
}

/**
 * Starts measuring a process's peak resident memory (VmHWM): the kernel's
 * high-water mark is reset first (`clear_refs` 5, Linux, allowed for our own
 * children), so the figure is this run's peak, not the process's lifetime one.
 * Returns a function that ends the measurement (MiB, or undefined elsewhere).
 */
export function peakRssMeter(pid: number): () => number | undefined {
  let reset = false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    reset = true;
  } catch {
    // Not Linux, or not allowed: no per-run figure.
  }
  return () => {
    if (!reset) return undefined;
    try {
      const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return kb === undefined ? undefined : Number(kb) / 1024;
    } catch {
      return undefined;
    }
  };
}
