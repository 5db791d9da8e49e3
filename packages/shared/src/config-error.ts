import { ProblemsError, type Problem } from './problems';

/** One thing wrong with a configuration: where, what was there, and why it is wrong. */
export type ConfigProblem = Problem;

/** An invalid configuration: every problem with its path, value and reason; nothing was written. */
export class ConfigError extends ProblemsError {
  constructor(problems: readonly ConfigProblem[], source = 'configuration') {
    super(
      problems,
      source,
      'Fix the values above in fittech.config.ts or your overrides file; nothing was written.',
    );
    this.name = 'ConfigError';
  }
}
