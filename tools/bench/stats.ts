/**
 * Summaries of repeated measurements: every figure is the median of its
 * samples, reported with the minimum and maximum so the spread is visible.
 */

export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no samples');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summary of no samples');
  return {
    median: median(values),
    min: Math.min(...values),
    max: Math.max(...values),
    n: values.length,
  };
}

/**
 * The q-quantile (0 < q ≤ 1) of values sorted ascending, by the nearest-rank
 * method: the smallest sample with at least q of all samples at or below it.
 */
export function quantileOfSorted(sorted: Float64Array | readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

/**
 * A ratio between two measurements of the same run, taken over paired
 * samples (round i of a against round i of b, which ran side by side): their
 * median, and their spread, which shows how much of it is noise. Not the
 * ratio of the two medians: that can set a fast round of one measurement
 * against a slow round of the other, and so measures the machine's drift
 * between rounds as much as the difference between the two.
 */
export interface Ratio {
  readonly value: number;
  readonly min: number;
  readonly max: number;
}

export function ratio(a: readonly number[], b: readonly number[]): Ratio {
  if (a.length !== b.length) {
    throw new Error(`bench: a ratio needs paired samples (got ${a.length} against ${b.length})`);
  }
  const paired = a.map((x, i) => x / b[i]!);
  return { value: median(paired), min: Math.min(...paired), max: Math.max(...paired) };
}

/** Milliseconds with as many decimals as are meaningful at that size. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return value.toFixed(0);
}

export function int(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : '–';
}

export function times(r: Ratio | number): string {
  const v = typeof r === 'number' ? r : r.value;
  return `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}×`;
}

/** `median (min–max)` with a formatter, e.g. `948 ms (921–1,012)`. */
export function spread(s: Summary, format: (v: number) => string, unit = ''): string {
  return `${format(s.median)}${unit} (${format(s.min)}–${format(s.max)})`;
}

export function ratioSpread(r: Ratio): string {
  return `${times(r.value)} (${times(r.min)}–${times(r.max)})`;
}
