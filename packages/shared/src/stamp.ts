import { createHash } from 'node:crypto';
import type { FitTechConfig } from './schema';

/**
 * The stamp `pnpm synth` writes into its output directory, and that the
 * deploy CLI checks before it deploys or destroys what is there: the
 * environment, a hash of the resolved configuration, and the commit.
 */
export interface SynthStamp {
  readonly environment: string;
  /** sha256 (hex) of the resolved configuration, see {@link configHash}. */
  readonly configHash: string;
  /** The git commit synthesized from, when known. */
  readonly commit?: string;
  /**
   * The chart in `chart/`: its name, version (see chartVersion) and appVersion, the
   * directory relative to the stamp, and the OCI tag `helm push` gives that version.
   */
  readonly chart?: StampedChart;
  /**
   * The image the chart deploys by default, tied to the chart version: on a commit build the
   * pipeline pushes the API image tagged with the commit the chart version names.
   */
  readonly image?: { readonly repository: string; readonly tag: string };
}

export interface StampedChart {
  readonly name: string;
  readonly version: string;
  readonly appVersion: string;
  /** Relative to the stamp's directory, e.g. `chart`. */
  readonly path: string;
  /** The OCI tag of `version` (`+` written as `_`). */
  readonly ociTag: string;
}

/** The stamp's file name inside the output directory (`dist/`). */
export const STAMP_FILE = 'fittech-stamp.json';

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** A hash of the resolved configuration that does not depend on key order. */
export function configHash(config: FitTechConfig): string {
  return createHash('sha256')
    .update(JSON.stringify(canonical(config)))
    .digest('hex');
}

export function synthStamp(
  config: FitTechConfig,
  commit?: string,
  built: Pick<SynthStamp, 'chart' | 'image'> = {},
): SynthStamp {
  return {
    environment: config.environment,
    configHash: configHash(config),
    ...(commit ? { commit } : {}),
    ...(built.chart ? { chart: built.chart } : {}),
    ...(built.image ? { image: built.image } : {}),
  };
}
