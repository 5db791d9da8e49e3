/**
 * The synth CLI's Terraform stage in its worker thread (src/terraform-worker/),
 * run as the CLI runs it: the compiled launcher and the Terraform bundle (the
 * root `pnpm test` script builds both first). What comes back is what
 * synthesizing in this thread gives, and a failure comes back as a failure,
 * never as a main thread waiting for an answer that cannot come.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { resolveConfig } from '@fittech/shared';
import { synthesizeTerraform } from '@fittech/infra/synthesize';
import project from '../../../fittech.config';
import type * as Channel from '../src/terraform-worker/channel';
import type * as Client from '../src/terraform-worker/client';

const DIST = resolve(__dirname, '..', 'dist', 'terraform-worker');
// The compiled modules: the channel starts the worker from the launch.js beside it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = <T>(name: string) => require(resolve(DIST, `${name}.js`)) as T;

describe('the Terraform stage in a worker thread', () => {
  let channel: typeof Channel;
  let client: typeof Client;
  beforeAll(() => {
    if (!existsSync(resolve(DIST, 'channel.js')))
      throw new Error(`${DIST} is missing: run \`pnpm build\` (pnpm test does it first)`);
    channel = load('channel');
    client = load('client');
  });

  it('answers with the files this thread would synthesize', () => {
    const config = resolveConfig({ env: 'prod', project });
    const worker = channel.startTerraformWorker();
    try {
      expect(client.terraformIn(worker)(config)()).toEqual(synthesizeTerraform(config));
    } finally {
      worker.close();
    }
  });

  it('a failure in the worker comes back as an error with its message and stack', () => {
    const worker = channel.startTerraformWorker();
    try {
      const files = client.terraformIn(worker)({} as never);
      let error: Error | undefined;
      try {
        files();
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(/Cannot read properties of undefined/);
      expect(error?.stack).toContain('terraform.bundle.js');
    } finally {
      worker.close();
    }
  });

  it('an answer that does not come within the timeout is an error that says what to do', () => {
    const config = resolveConfig({ env: 'dev', project });
    const worker = channel.startTerraformWorker();
    try {
      // No worker starts, loads CDKTF and synthesizes within a millisecond.
      expect(() => client.terraformIn(worker, 1)(config)()).toThrow(
        'the Terraform stage did not answer within 0.001 s. Run `node packages/cli/dist/synth/synth.js`',
      );
    } finally {
      worker.close();
    }
  });
});
