/**
 * Validation of Kubernetes objects against the Kubernetes OpenAPI schemas,
 * with an independent validator: the JSON schemas compiled into the
 * `kubernetes-models` package (they include native sidecars'
 * `initContainers[].restartPolicy`), and for the Prometheus Operator's
 * ServiceMonitor and PrometheusRule the schemas of its CRDs
 * (`@kubernetes-models/prometheus-operator`). They check types, required fields and
 * enums; like the API server, they accept unknown fields.
 */

export interface ObjectProblem {
  /** `Kind/name`. */
  readonly object: string;
  /** JSON pointer inside the object ('' for the object itself). */
  readonly path: string;
  readonly message: string;
}

export interface ValidationReport {
  /** Objects validated. */
  readonly checked: number;
  readonly problems: readonly ObjectProblem[];
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  if (!/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind))
    return undefined;
  try {
    // kubernetes-models lays its models out by API group and version: kubernetes-models/apps/v1 → Deployment;
    // the Prometheus Operator's CRDs are a package of their own, laid out the same way.
    const home = apiVersion.startsWith('monitoring.coreos.com/')
      ? '@kubernetes-models/prometheus-operator'
      : 'kubernetes-models';
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const module = require(`${home}/${apiVersion}`) as Record<string, unknown>;
    const model = module[kind];
    return typeof model === 'function' ? (model as ModelClass) : undefined;
  } catch {
    return undefined;
  }
}

/** Validates every object; an object of an unknown apiVersion/kind is a problem, never a pass. */
export function validateKubernetesObjects(
  objects: readonly Record<string, unknown>[],
): ValidationReport {
  const problems: ObjectProblem[] = [];
  for (const object of objects) {
    const apiVersion = String(object.apiVersion);
    const kind = String(object.kind);
    const name = `${kind}/${String((object.metadata as { name?: string } | undefined)?.name)}`;
    const Model = modelFor(apiVersion, kind);
    if (!Model) {
      problems.push({ object: name, path: '', message: `no schema for ${apiVersion} ${kind}` });
      continue;
    }
    try {
      new Model(object).validate();
    } catch (e) {
      const errors = (e as { errors?: { instancePath?: string; message?: string }[] }).errors;
      if (!errors) throw e;
      for (const err of errors) {
        problems.push({
          object: name,
          path: err.instancePath ?? '',
          message: err.message ?? 'is invalid',
        });
      }
    }
  }
  return { checked: objects.length, problems };
}
