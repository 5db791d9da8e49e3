const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go-style duration as Helm and kubectl accept it: `500ms`, `5s`,
 * `10m`, `1m30s`. Returns milliseconds; throws with the flag's name otherwise.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const parts = /^(?:\d+(?:ms|h|m|s))+$/.test(text) ? text.match(/\d+(?:ms|h|m|s)/g) : null;
  if (!parts) {
    throw new Error(
      `${what} must be a duration such as "500ms", "5s", "10m" or "1m30s" (got "${text}")`,
    );
  }
  return parts.reduce((total, part) => {
    const [, amount, unit] = /^(\d+)(ms|h|m|s)$/.exec(part)!;
    return total + Number(amount) * UNIT_MS[unit!]!;
  }, 0);
}

/** `2m05s`-style rendering for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  return rest === 0 ? `${minutes}m` : `${minutes}m${String(rest).padStart(2, '0')}s`;
}
