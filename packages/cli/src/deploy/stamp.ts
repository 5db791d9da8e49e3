import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configHash, STAMP_FILE, type FitTechConfig, type SynthStamp } from '@fittech/shared';
import { DeployError } from './operations';

/**
 * Refuses a dist/ that was not synthesized for this environment and this
 * configuration (the stamp `pnpm synth` writes), and says how to fix it.
 * `synthCommand` is the synth invocation that would produce the right one.
 */
export function checkStamp(
  distDir: string,
  config: FitTechConfig,
  synthCommand: string,
): SynthStamp {
  const file = join(distDir, STAMP_FILE);
  let stamp: SynthStamp;
  try {
    stamp = JSON.parse(readFileSync(file, 'utf8')) as SynthStamp;
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DeployError(
      `${distDir} ${missing ? `has no ${STAMP_FILE}` : `has an unreadable ${STAMP_FILE}`}, so nothing says which environment and configuration it holds. ` +
        `Run \`${synthCommand}\` first; nothing was changed.`,
    );
  }
  const expected = configHash(config);
  if (stamp.environment !== config.environment || stamp.configHash !== expected) {
    const what =
      stamp.environment !== config.environment
        ? `env ${stamp.environment}, not env ${config.environment}`
        : `env ${config.environment} with another configuration (config ${stamp.configHash.slice(0, 12)}, this one is ${expected.slice(0, 12)})`;
    throw new DeployError(
      `${distDir} was synthesized for ${what}${stamp.commit ? ` at commit ${stamp.commit.slice(0, 12)}` : ''}. ` +
        `Run \`${synthCommand}\` first, then this command again; nothing was changed.`,
    );
  }
  return stamp;
}
