import { TemplateSet, renderContext } from '../template/execute';
import { parseTemplate } from '../template/parse';
import { coalesceValues } from '../values/coalesce';
import { validateValues, ValuesError } from '../values/validate';
import { parseYamlDocument, parseYamlDocuments, toYamlDocuments } from '../yaml';

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
  /** The release name (`.Release.Name`), as `helm template <name>`. @default "release-name" (helm template's) */
  readonly release?: string;
  /** The release namespace (`.Release.Namespace`). */
  readonly namespace: string;
  /** Values coalesced over the chart's values.yaml, like `helm template --values`. @default - none */
  readonly values?: unknown;
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
  /** The values the templates saw (values.yaml with the overrides coalesced). */
  readonly values: unknown;
  /** The chart's default values: values.yaml as parsed. */
  readonly defaults: unknown;
}

/**
 * Renders a packaged chart the way `helm template` does: coalesces the values
 * over values.yaml, validates them against values.schema.json (a ValuesError
 * names each problem's path), executes every template with the chart template
 * language (templates/_helpers.tpl included) and parses the YAML. Anything
 * outside that language is an error naming the file and line.
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
  const metadata = parseYamlDocument(required('Chart.yaml'), 'Chart.yaml') as {
    name: string;
    version: string;
    appVersion?: string;
  };
  const defaults = parseYamlDocument(required('values.yaml'), 'values.yaml') ?? {};
  const schema = JSON.parse(required('values.schema.json')) as Record<string, unknown>;
  const values = coalesceValues(defaults, options.values);
  const problems = validateValues(schema, values);
  if (problems.length > 0) throw new ValuesError(problems);

  const templateFiles = Object.keys(chart)
    .filter((f) => f.startsWith('templates/'))
    .sort();
  const set = new TemplateSet(templateFiles.map((f) => parseTemplate(chart[f]!, f)));
  const context = renderContext(
    values,
    { name: options.release ?? 'release-name', namespace: options.namespace },
    metadata,
  );
  const objects: KubernetesObject[] = [];
  const files: Record<string, KubernetesObject[]> = {};
  let notes = '';
  for (const file of templateFiles) {
    const base = file.slice(file.lastIndexOf('/') + 1);
    if (base.startsWith('_')) continue; // partials: named templates only, as in Helm
    if (file === 'templates/NOTES.txt') {
      notes = set.render(file, context);
      continue;
    }
    if (!/\.ya?ml$/.test(file))
      throw new Error(`${file}: only .yaml templates, partials and NOTES.txt are supported`);
    if (file.startsWith('templates/tests/') && !options.includeTests) continue;
    const docs = parseYamlDocuments(
      set.render(file, context),
      `${file} (rendered)`,
    ) as KubernetesObject[];
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
  return { objects, files, notes, values, defaults };
}

/**
 * The chart rendered as plain manifests, one YAML file per template that
 * renders something (`templates/deployment.yaml` → `deployment.yaml`), each
 * with a header naming the chart, release and namespace: what `kubectl apply`
 * or a GitOps tool takes. The `helm test` Pod is left out unless `includeTests`.
 */
export function renderManifests(
  chart: Readonly<Record<string, string>>,
  options: RenderOptions & { readonly release: string },
): Record<string, string> {
  const name = (parseYamlDocument(chart['Chart.yaml']!, 'Chart.yaml') as { name: string }).name;
  return manifestFiles(renderHelmChart(chart, options), {
    chartName: name,
    release: options.release,
    namespace: options.namespace,
    defaultValues: options.values === undefined,
    includeTests: options.includeTests ?? false,
  });
}

/**
 * The manifest files of a rendering (see {@link renderManifests}): one per
 * template file that rendered something, tests left out unless `includeTests`.
 */
export function manifestFiles(
  rendered: Pick<RenderedChart, 'files'>,
  options: {
    readonly chartName: string;
    readonly release: string;
    readonly namespace: string;
    /** Whether the chart was rendered with its default values (the header says so). */
    readonly defaultValues: boolean;
    readonly includeTests: boolean;
  },
): Record<string, string> {
  const manifests: Record<string, string> = {};
  for (const [file, objects] of Object.entries(rendered.files)) {
    if (!options.includeTests && file.startsWith('templates/tests/')) continue;
    const base = file.replace(/^templates\//, '');
    manifests[base] =
      `# ${base}: the ${options.chartName} chart rendered for release ${options.release} (namespace ${options.namespace})` +
      `${options.defaultValues ? ' with its default values' : ''}. Generated by @fittech/manifests; do not edit.\n` +
      toYamlDocuments(objects);
  }
  return manifests;
}
