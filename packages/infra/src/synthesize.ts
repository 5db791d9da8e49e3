import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'cdktf';
import type { FitTechConfig } from '@fittech/shared/core';
import { FitTechStack } from './stack';

/** The file the stack is written to, relative to `dist/terraform/`. */
export const TERRAFORM_FILE = 'main.tf.json';

/**
 * Terraform JSON for the configuration: file path (relative to
 * `dist/terraform/`) → contents. Plain `terraform init && terraform apply`
 * works on the result; no cdktf CLI is needed. The bytes are deterministic:
 * keys are sorted, and nothing depends on the machine, the time or the
 * working directory.
 *
 * @throws ConfigError (from @fittech/shared) for a value the stack cannot use.
 */
export function synthesizeTerraform(config: FitTechConfig): Record<string, string> {
  // cdktf's synthesizer writes to disk (and runs its validations on the way); keep that private.
  const outdir = mkdtempSync(join(tmpdir(), 'fittech-terraform-'));
  try {
    const app = new App({ outdir, stackTraces: false });
    const stack = new FitTechStack(app, config.cluster.name, { config });
    app.synth();
    const synthesized = join(outdir, 'stacks', stack.node.id, 'cdk.tf.json');
    const json: unknown = JSON.parse(readFileSync(synthesized, 'utf8'));
    return { [TERRAFORM_FILE]: `${JSON.stringify(json, null, 2)}\n` };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
