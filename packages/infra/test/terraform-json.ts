import { resolveConfig, type ConfigOverrides, type Environment } from '@fittech/shared';
import project from '../../../fittech.config';
import { synthesizeTerraform, TERRAFORM_FILE } from '@fittech/infra';

/* eslint-disable @typescript-eslint/no-explicit-any -- Terraform JSON is untyped by nature */
export type Block = Record<string, any>;

/** The synthesized Terraform JSON of one configuration, with lookups for tests. */
export class TerraformJson {
  readonly json: Block;

  constructor(readonly text: string) {
    this.json = JSON.parse(text);
  }

  /** Synthesizes the environment preset with overrides (what `pnpm synth --env --config` does). */
  static synth(env: Environment, overrides: ConfigOverrides = {}): TerraformJson {
    const files = synthesizeTerraform(resolveConfig({ project, env, overrides }));
    return new TerraformJson(files[TERRAFORM_FILE]!);
  }

  /** Every resource of a type: logical name → body. */
  resources(type: string): Record<string, Block> {
    return this.json.resource?.[type] ?? {};
  }

  /** One resource's body; fails the test with the names that exist when it is missing. */
  resource(type: string, name: string): Block {
    const body = this.resources(type)[name];
    if (!body) {
      throw new Error(
        `no ${type}.${name}; the stack has ${Object.keys(this.resources(type)).join(', ') || 'none of that type'}`,
      );
    }
    return body;
  }

  /** The only resource of a type. */
  single(type: string): Block {
    const all = Object.values(this.resources(type));
    if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
    return all[0]!;
  }

  data(type: string, name: string): Block {
    const body = this.json.data?.[type]?.[name];
    if (!body) throw new Error(`no data.${type}.${name}`);
    return body;
  }

  /** Resource type → count, the shape of the acceptance list. */
  resourceCounts(): Record<string, number> {
    return Object.fromEntries(
      Object.entries(this.json.resource as Record<string, Block>).map(([type, byName]) => [
        type,
        Object.keys(byName).length,
      ]),
    );
  }
}

/** `${type.name.attribute}`: how Terraform JSON refers to another resource's attribute. */
export const ref = (type: string, name: string, attribute: string): string =>
  `\${${type}.${name}.${attribute}}`;
