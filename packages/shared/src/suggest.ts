import { closest, distance } from 'fastest-levenshtein';

/**
 * The known word a typo most likely meant (`prot` → `port`), or undefined when
 * nothing is close: at most two edits (or a third of the word) away.
 */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  if (known.length === 0) return undefined;
  const lower = word.toLowerCase();
  const exactCase = known.find((k) => k.toLowerCase() === lower);
  if (exactCase) return exactCase;
  const best = closest(
    lower,
    known.map((k) => k.toLowerCase()),
  );
  const match = known.find((k) => k.toLowerCase() === best)!;
  return distance(lower, best) <= Math.max(2, Math.floor(word.length / 3)) ? match : undefined;
}
