/**
 * Helpers for the cross-package suites: generate every artifact in memory
 * (exactly what `pnpm synth` writes) and look inside it.
 */
import { parseAllDocuments } from 'yaml';
import { generate, type SynthOptions } from '@fittech/cli';
import project from '../fittech.config';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;

export interface Artifacts {
  config: ReturnType<typeof generate>['config'];
  objects: K8sObject[];
  terraform: Json;
  workflows: Record<string, string>;
  chart: Record<string, string>;
}

export function parseYamlObjects(files: Record<string, string>): K8sObject[] {
  return Object.keys(files)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((f) =>
      parseAllDocuments(files[f]!)
        .map((d) => d.toJS() as K8sObject | null)
        .filter((o): o is K8sObject => o !== null),
    );
}

export function artifacts(options: SynthOptions = {}): Artifacts {
  const generated = generate({ project, ...options });
  const tfFiles = Object.entries(generated.terraform).filter(([f]) => f.endsWith('.tf.json'));
  if (tfFiles.length !== 1)
    throw new Error(`expected one *.tf.json, got ${tfFiles.map(([f]) => f)}`);
  return {
    config: generated.config,
    objects: parseYamlObjects(generated.manifests),
    terraform: JSON.parse(tfFiles[0]![1]),
    workflows: generated.workflows,
    chart: generated.chart,
  };
}

export function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  );
  if (found.length !== 1) {
    throw new Error(
      `expected exactly one ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`,
    );
  }
  return found[0]!;
}

/** All resources of a Terraform type: id → block. */
export function tfResources(tf: Json, type: string): Record<string, Json> {
  return (tf.resource?.[type] ?? {}) as Record<string, Json>;
}
