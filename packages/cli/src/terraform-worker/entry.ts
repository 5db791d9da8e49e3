/**
 * The entry of the Terraform worker's bundle (see channel.ts): synthesizes the
 * configuration it is sent and answers once.
 */
import { workerData } from 'node:worker_threads';
import { ConfigError, type FitTechConfig } from '@fittech/shared/core';
import { synthesizeTerraform } from '@fittech/infra/synthesize';
import { answer, type TerraformReply, type TerraformWorkerData } from './channel';

function synthesize(config: FitTechConfig): TerraformReply {
  try {
    return { files: synthesizeTerraform(config) };
  } catch (e) {
    if (e instanceof ConfigError) {
      return { configError: { problems: e.problems, subject: e.subject } };
    }
    const error = e instanceof Error ? e : new Error(String(e));
    return { error: { message: error.message, ...(error.stack ? { stack: error.stack } : {}) } };
  }
}

const data = workerData as TerraformWorkerData;
data.port.once('message', (config: FitTechConfig) => {
  answer(data, synthesize(config));
  data.port.close();
});
