/**
 * The synth CLI's Terraform stage in its worker thread (channel.ts): the
 * configuration goes out as soon as it is resolved, the files come back when
 * the chart is done, and a failure comes back as what it was (a ConfigError
 * is one again, so the CLI reports it as it reports its own).
 */
import { ConfigError, type ConfigProblem } from '@fittech/shared';
import type { Files, TerraformStage } from '../synth/synth';
import type { TerraformWorker } from './channel';

/** How long the main thread waits for the worker's answer; a synth takes well under a second. */
export const TERRAFORM_TIMEOUT_MS = 120_000;

export function terraformIn(
  worker: TerraformWorker,
  timeoutMs = TERRAFORM_TIMEOUT_MS,
): TerraformStage {
  return (config) => {
    worker.send(config);
    return (): Files => {
      const reply = worker.receive(timeoutMs);
      if ('files' in reply) return reply.files;
      if ('configError' in reply) {
        const { problems, subject } = reply.configError;
        throw new ConfigError(problems as ConfigProblem[], subject);
      }
      const error = new Error(reply.error.message);
      if (reply.error.stack) error.stack = reply.error.stack;
      throw error;
    };
  };
}
