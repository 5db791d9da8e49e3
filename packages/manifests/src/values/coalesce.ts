import { isRecord } from './definition';

/**
 * Helm's coalescing of user values over a chart's values.yaml (what
 * `helm template --values` does before validating against the schema):
 *
 * - maps merge key by key; lists and scalars replace;
 * - a key set to `null` is removed when values.yaml has that key (the way to
 *   drop a default), and is KEPT, as null, when values.yaml does not have it
 *   (the schema then refuses it, naming the key);
 * - a map where values.yaml has a scalar (or the reverse) keeps the user's value.
 *
 * Neither argument is modified.
 */
export function coalesceValues<T>(defaults: T, overrides: unknown): T {
  if (overrides === undefined || overrides === null) return structuredClone(defaults);
  if (!isRecord(overrides) || !isRecord(defaults)) return structuredClone(overrides) as T;
  return coalesceTables(structuredClone(overrides), defaults) as T;
}

function coalesceTables(
  user: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  for (const [key, fallback] of Object.entries(defaults)) {
    if (!Object.prototype.hasOwnProperty.call(user, key)) {
      user[key] = structuredClone(fallback);
      continue;
    }
    const given = user[key];
    if (given === null) delete user[key];
    else if (isRecord(given) && isRecord(fallback)) coalesceTables(given, fallback);
  }
  return user;
}
