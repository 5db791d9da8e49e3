/**
 * The one error shape for invalid input everywhere in the platform: the
 * configuration, the API's environment, overrides files (and, once the
 * manifests switch to it, chart values). A person reads what is wrong, where,
 * what was there, and what to do:
 *
 *   Invalid configuration (fittech.config.ts, env "prod") (2 problems):
 *     - api.port: must be a port between 1 and 65535 (got 70000)
 *     - api.prot (preview.yaml:3:3): is not a known setting; did you mean "port"?
 *   Fix the values above …; nothing was written.
 */

/** One thing wrong: where, what was there, and why it is wrong. */
export interface Problem {
  /** Dotted path such as `api.port` (`(root)` for the whole document, `(file)` for the file itself). */
  readonly path: string;
  readonly message: string;
  /** The offending value; omitted when it must not be shown (a secret) or does not apply. */
  readonly value?: unknown;
  /** Where the value stands in a file, e.g. `preview.yaml:3:3`. */
  readonly location?: string;
}

/** A value for a message: JSON, cut at 80 characters; `nothing` for a missing value. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

export function formatProblem(p: Problem): string {
  const where = p.location ? `${p.path} (${p.location})` : p.path;
  const got = 'value' in p ? ` (got ${showValue(p.value)})` : '';
  return `  - ${where}: ${p.message}${got}`;
}

/** `Invalid <subject> (N problems):` then one line per problem, then what to do. */
export class ProblemsError<P extends Problem = Problem> extends Error {
  constructor(
    readonly problems: readonly P[],
    /** What was invalid, e.g. `configuration (preview.yaml) for env "dev"`. */
    readonly subject: string,
    /** What to do about it. */
    readonly hint: string,
  ) {
    super(
      `Invalid ${subject} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map(formatProblem).join('\n') +
        (hint ? `\n${hint}` : ''),
    );
    this.name = 'ProblemsError';
  }
}
