import { executeTemplate, parseTemplate } from './template-language';
import { mergeValues, validateValues, ValuesError } from './values';
import { parseYamlDocument, parseYamlDocuments } from './yaml';

/** A Kubernetes object as plain JSON. */
export type KubernetesObject = Record<string, unknown> & {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string } & Record<
    string,
    unknown
  >;
};

export interface RenderOptions {
  /** Values merged over the chart's values.yaml, like `helm template --values`. @default - none */
  readonly values?: unknown;
  /** The release namespace (`.Release.Namespace`). */
  readonly namespace: string;
  /** Render templates/tests/ too (like `helm template` without `--skip-tests`). @default false */
  readonly includeTests?: boolean;
}

export interface RenderedChart {
  /** Every rendered object, in template file order. */
  readonly objects: KubernetesObject[];
  /** Rendered objects per template file (files that render nothing are left out). */
  readonly files: Readonly<Record<string, KubernetesObject[]>>;
  /** The rendered templates/NOTES.txt ('' when the chart has none). */
  readonly notes: string;
  /** The values the templates saw (values.yaml with the overrides merged). */
  readonly values: unknown;
}

/**
 * Renders a packaged chart the way `helm template` does, for the closed set of
 * template forms the packager emits: merges the values over values.yaml,
 * validates them against values.schema.json (throwing a ValuesError that names
 * each problem's path), executes every template and parses the YAML.
 * Any action outside the closed set is an error naming the file and line.
 */
export function renderHelmChart(
  chart: Readonly<Record<string, string>>,
  options: RenderOptions,
): RenderedChart {
  const required = (file: string) => {
    const text = chart[file];
    if (text === undefined) throw new Error(`The chart has no ${file}`);
    return text;
  };
  const defaults = parseYamlDocument(required('values.yaml'), 'values.yaml') ?? {};
  const schema = JSON.parse(required('values.schema.json')) as Record<string, unknown>;
  const values = mergeValues(defaults, options.values);
  const problems = validateValues(schema, values);
  if (problems.length > 0) throw new ValuesError(problems);

  const context = { values, release: { namespace: options.namespace } };
  const objects: KubernetesObject[] = [];
  const files: Record<string, KubernetesObject[]> = {};
  let notes = '';
  const templateFiles = Object.keys(chart)
    .filter((f) => f.startsWith('templates/'))
    .sort();
  for (const file of templateFiles) {
    const text = executeTemplate(parseTemplate(chart[file]!, file), context);
    if (file === 'templates/NOTES.txt') {
      notes = text;
      continue;
    }
    if (!/\.ya?ml$/.test(file))
      throw new Error(`${file}: only .yaml templates and NOTES.txt are supported`);
    if (file.startsWith('templates/tests/') && !options.includeTests) continue;
    const docs = parseYamlDocuments(text, `${file} (rendered)`) as KubernetesObject[];
    for (const doc of docs) {
      if (typeof doc !== 'object' || !doc.apiVersion || !doc.kind || !doc.metadata?.name) {
        throw new Error(
          `${file} (rendered): a document is not a Kubernetes object (apiVersion, kind, metadata.name)`,
        );
      }
    }
    if (docs.length > 0) files[file] = docs;
    objects.push(...docs);
  }
  return { objects, files, notes, values };
}
