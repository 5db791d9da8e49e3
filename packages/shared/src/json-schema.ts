import { z } from 'zod';
import { configSchema } from './schema';

/** The committed JSON Schema of ad-hoc overrides files, at the repository root. */
export const OVERRIDES_SCHEMA_FILE = 'fittech.overrides.schema.json';

function partial(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(partial);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'required' && Array.isArray(value)) continue;
    out[key] = partial(value);
  }
  return out;
}

/**
 * The JSON Schema of an overrides file (`--config preview.json|yaml`): the
 * config's input shape, every key optional, unknown keys refused, plus the
 * editor's `$schema` key. `"$schema": "./fittech.overrides.schema.json"` (or
 * `# yaml-language-server: $schema=...` in YAML) gives completion and checks.
 */
export function overridesJsonSchema(): Record<string, unknown> {
  const schema = partial(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' })) as {
    properties: Record<string, unknown>;
  } & Record<string, unknown>;
  const { environment: _resolvedByEnv, ...properties } = schema.properties;
  void _resolvedByEnv;
  return {
    ...schema,
    title: 'FitTech configuration overrides',
    description:
      'A partial FitTech configuration, deep-merged over the environment chosen with --env (pnpm synth --config, fittech-deploy --config).',
    properties: {
      $schema: { type: 'string', description: 'The JSON Schema of this file, for editors.' },
      ...properties,
    },
  };
}
