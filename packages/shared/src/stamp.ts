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

export function synthStamp(config: FitTechConfig, commit?: string): SynthStamp {
  return {
    environment: config.environment,
    configHash: configHash(config),
    ...(commit ? { commit } : {}),
  };
}
