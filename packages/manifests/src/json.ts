import { isDeepStrictEqual } from 'node:util';

/** Plain JSON data (ordinary prototypes, no undefined): what YAML and JSON round trips produce. */
export function plainJson<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Equality of two JSON values, ignoring key order and object prototypes. */
export function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(plainJson(a), plainJson(b));
}
