/**
 * Reading a Prometheus text exposition as the tests need it: each sample by
 * its series (`name{label="value",…}`, labels in the order written), and the
 * difference between two scrapes.
 */

export type Samples = ReadonlyMap<string, number>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/;

/** Every sample of `text`; a line that is neither a comment nor a sample fails the test that reads it. */
export function parseSamples(text: string): Samples {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${JSON.stringify(line)}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

/** The series' value, 0 when it is absent (a counter not yet incremented). */
export const valueOf = (samples: Samples, series: string): number => samples.get(series) ?? 0;

/** How much `series` grew from `before` to `after`. */
export const grew = (before: Samples, after: Samples, series: string): number =>
  valueOf(after, series) - valueOf(before, series);

/** The series named `name` (any labels). */
export const seriesNamed = (samples: Samples, name: string): string[] =>
  [...samples.keys()].filter((s) => s === name || s.startsWith(`${name}{`));
