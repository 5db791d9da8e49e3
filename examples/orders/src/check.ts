/**
 * The checks the orders team runs on what src/chart.ts wrote: every object
 * against the Kubernetes OpenAPI schemas, and the policy checks (kube-score
 * and kube-linter defaults, Pod Security "restricted"). Exits 1 on a problem.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '@fittech/manifests';
import { policyProblems, validateKubernetesObjects } from '@fittech/manifests/testing';

const dir = join(process.argv[2] ?? 'out', 'manifests');
const objects = readdirSync(dir)
  .sort()
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(dir, f), 'utf8'), { version: '1.1' }).map(
      (d) => d.toJS() as KubernetesObject,
    ),
  );
const validation = validateKubernetesObjects(objects);
const policy = policyProblems(objects);
console.log(
  JSON.stringify(
    { objects: objects.map((o) => `${o.kind}/${o.metadata.name}`), validation, policy },
    null,
    2,
  ),
);
process.exit(validation.problems.length + policy.length === 0 ? 0 : 1);
