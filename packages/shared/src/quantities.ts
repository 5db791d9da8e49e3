/** A CPU quantity the platform accepts: millicores ("250m") or cores with at most 3 decimals ("0.5"). */
export const CPU_QUANTITY = /^(\d+m|\d+(\.\d{1,3})?)$/;
/** A memory quantity the platform accepts: a whole number of Ki, Mi or Gi ("128Mi"). */
export const MEMORY_QUANTITY = /^\d+(Ki|Mi|Gi)$/;

/** Parses a Kubernetes CPU quantity ("250m", "0.5", "2") into millicores. */
export function cpuMillis(quantity: string): number {
  if (quantity.endsWith('m')) return Number(quantity.slice(0, -1));
  return Math.round(Number(quantity) * 1000);
}

const MEMORY_UNITS: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024 };

/** Parses a Kubernetes memory quantity ("128Mi", "1Gi", "512Ki") into MiB. */
export function memoryMiB(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`Not a memory quantity: "${quantity}" (use Ki, Mi or Gi)`);
  return Number(match[1]) * MEMORY_UNITS[match[2]!]!;
}
