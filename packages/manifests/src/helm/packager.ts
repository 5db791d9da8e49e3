import { Type } from '@sinclair/typebox';
import type { Chart } from 'cdk8s';
import { chartSources, HelmChart, type TemplateSource } from './chart';
import {
  evaluate,
  expressionPaths,
  type HelmBranch,
  type HelmCondition,
  type HelmExpression,
} from './expressions';
import { getPointer, renameKey, setPointer } from './json-pointer';
import { sameJson } from './json';
import { renderHelmChart } from './renderer';
import { goQuote, parseTemplate } from './template-language';
import {
  defineValues,
  schemaAt,
  valuesSchemaDocument,
  valuesTable,
  valuesYaml,
  type ValuesDefinition,
} from './values';
import { toYamlDocument } from './yaml';

/** Chart.yaml. */
export interface ChartMetadata {
  /** Chart name (lower case, digits and "-"). */
  readonly name: string;
  /** Chart version (SemVer 2). */
  readonly version: string;
  /** Version of the application the chart deploys. */
  readonly appVersion: string;
  readonly description: string;
  /** SemVer range of supported Kubernetes versions, e.g. ">=1.29.0-0". @default - any */
  readonly kubeVersion?: string;
  /** @default - none */
  readonly home?: string;
  /** @default - none */
  readonly keywords?: readonly string[];
}

export interface PackageHelmChartOptions {
  readonly metadata: ChartMetadata;
  /** templates/NOTES.txt (may use the closed template forms). @default - none */
  readonly notes?: string;
  /**
   * The chart's README.md; receives the values table generated from the values definition.
   * @default - a README with the description, install command and values table
   */
  readonly readme?: (context: {
    readonly valuesTable: string;
    readonly metadata: ChartMetadata;
  }) => string;
}

/** A chart's files, paths relative to the chart directory. */
export type ChartFiles = Readonly<Record<string, string>>;

const HOOK = 'helm.sh/hook';
const NO_VALUES = defineValues(Type.Object({}, { additionalProperties: false }), {});

/**
 * Packages a cdk8s chart as a Helm chart. A {@link HelmChart}'s bindings become
 * Helm expressions from the closed set of template forms; a plain cdk8s Chart
 * becomes a chart without values. Objects annotated `helm.sh/hook: test` go to
 * templates/tests/.
 *
 * Before returning, the packager renders the templates with the chart's own
 * values and requires the result to equal the chart's synthesized objects:
 * a binding that does not describe what the construct wrote fails here.
 */
export function packageHelmChart(chart: Chart, options: PackageHelmChartOptions): ChartFiles {
  const helmChart = HelmChart.isHelmChart(chart) ? chart : undefined;
  const definition: ValuesDefinition = helmChart?.valuesDefinition ?? NO_VALUES;
  const values = helmChart?.values ?? {};
  const sources: TemplateSource[] = helmChart
    ? helmChart.templateSources()
    : chartSources(chart, chart.toJson() as Record<string, unknown>[]);
  const { metadata } = options;
  checkMetadata(metadata);

  const files: Record<string, string> = {};
  files['Chart.yaml'] = chartYaml(metadata);
  files['values.yaml'] = valuesYaml(definition, [
    `Default values of the ${metadata.name} chart. Every value is documented below;`,
    'values.schema.json (generated from the same definition) rejects anything else.',
  ]);
  files['values.schema.json'] = `${JSON.stringify(valuesSchemaDocument(definition), null, 2)}\n`;
  files['.helmignore'] = ['.DS_Store', '*.tgz', '*.orig', '*~', ''].join('\n');

  const fileNames = templateFileNames(sources);
  sources.forEach((source, i) => {
    const file = fileNames[i]!;
    const text = templateFor(source, definition, values, chart.namespace, file);
    parseTemplate(text, file); // the closed-form check
    files[file] = text;
  });
  if (options.notes) {
    parseTemplate(options.notes, 'templates/NOTES.txt');
    files['templates/NOTES.txt'] = options.notes;
  }
  const table = valuesTable(definition);
  files['README.md'] = (options.readme ?? defaultReadme)({ valuesTable: table, metadata });

  selfCheck(files, chart, values);
  return sortKeys(files);
}

function checkMetadata(m: ChartMetadata): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(m.name)) {
    throw new Error(`Chart name "${m.name}" must be lower case letters, digits and "-"`);
  }
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(m.version)) {
    throw new Error(`Chart version "${m.version}" must be SemVer 2 (e.g. 1.2.3)`);
  }
}

function chartYaml(m: ChartMetadata): string {
  return toYamlDocument({
    apiVersion: 'v2',
    name: m.name,
    description: m.description,
    type: 'application',
    version: m.version,
    appVersion: m.appVersion,
    ...(m.kubeVersion ? { kubeVersion: m.kubeVersion } : {}),
    ...(m.home ? { home: m.home } : {}),
    ...(m.keywords ? { keywords: [...m.keywords] } : {}),
  });
}

function kebab(kind: string): string {
  return kind.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

function isTestHook(json: Record<string, unknown>): boolean {
  const annotations = (json.metadata as { annotations?: Record<string, string> } | undefined)
    ?.annotations;
  return (annotations?.[HOOK] ?? '').split(',').includes('test');
}

/** templates/<kind>.yaml, or templates/<kind>-<name>.yaml when a kind repeats; tests as templates/tests/<name>.yaml. */
function templateFileNames(sources: readonly TemplateSource[]): string[] {
  const kinds = new Map<string, number>();
  const seen = new Set<string>();
  for (const s of sources) {
    const kind = String(s.json.kind);
    const name = String((s.json.metadata as { name?: string }).name);
    const key = `${String(s.json.apiVersion)}/${kind}/${name}`;
    if (seen.has(key))
      throw new Error(`Two objects are both ${kind} "${name}": names must be unique per kind`);
    seen.add(key);
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return sources.map((s) => {
    const kind = String(s.json.kind);
    const name = String((s.json.metadata as { name?: string }).name);
    const base = kinds.get(kind)! > 1 ? `${kebab(kind)}-${name}` : kebab(kind);
    return isTestHook(s.json) ? `templates/tests/${name}.yaml` : `templates/${base}.yaml`;
  });
}

const VALUE_TOKEN = (i: number) => `__HELM_${i}__`;
const IF_TOKEN = (i: number) => `__HELM_IF_${i}__`;

function schemaTypeOf(definition: ValuesDefinition, path: string, where: string): string {
  const schema = schemaAt(definition, path);
  if (!schema) throw new Error(`${where}: "${path}" is not a value of this chart`);
  if (typeof schema.type === 'string') return schema.type;
  throw new Error(`${where}: "${path}" has no single JSON Schema type; give it one`);
}

function conditionText(c: HelmCondition): string {
  return `if ${c.negate ? 'not ' : ''}.Values.${c.path}`;
}

/** The template text of one expression used inline as a YAML scalar. */
function inlineText(e: HelmExpression, definition: ValuesDefinition, where: string): string {
  const quoted = (path: string) => {
    if (schemaTypeOf(definition, path, where) !== 'string') {
      throw new Error(`${where}: "${path}" must be a string value to appear inside a string`);
    }
    return `{{ .Values.${path} | quote }}`;
  };
  const branch = (b: HelmBranch) => ('literal' in b ? goQuote(b.literal) : quoted(b.value));
  switch (e.kind) {
    case 'value': {
      const type = schemaTypeOf(definition, e.path, where);
      if (type === 'string') return `{{ .Values.${e.path} | quote }}`;
      if (type === 'integer' || type === 'number' || type === 'boolean')
        return `{{ .Values.${e.path} }}`;
      throw new Error(`${where}: "${e.path}" is a ${type}; bind it with Helm.yaml()`);
    }
    case 'image':
      for (const p of [e.repository, e.tag, e.digest]) quoted(p);
      return (
        `"{{ .Values.${e.repository} }}{{ if .Values.${e.digest} }}@{{ .Values.${e.digest} }}` +
        `{{ else }}:{{ .Values.${e.tag} }}{{ end }}"`
      );
    case 'choose':
      schemaTypeOf(definition, e.condition.path, where);
      return `{{ ${conditionText(e.condition)} }}${branch(e.then)}{{ else }}${branch(e.otherwise)}{{ end }}`;
    case 'checksum':
      schemaTypeOf(definition, e.path, where);
      return `{{ .Values.${e.path} | toJson | sha256sum | quote }}`;
    case 'releaseNamespace':
      return '{{ .Release.Namespace | quote }}';
    case 'yaml':
    case 'mapEntries':
      throw new Error(`${where}: ${e.kind} is a block, not a scalar`);
  }
}

function templateFor(
  source: TemplateSource,
  definition: ValuesDefinition,
  values: unknown,
  namespace: string | undefined,
  file: string,
): string {
  const doc = structuredClone(source.json);
  const what = `${String(doc.kind)}/${String((doc.metadata as { name?: string }).name)}`;
  const tokens: HelmExpression[] = [];

  const bindings = [...source.bindings];
  const meta = doc.metadata as Record<string, unknown>;
  if (namespace !== undefined && meta.namespace === namespace) {
    bindings.push({ pointer: '/metadata/namespace', expression: { kind: 'releaseNamespace' } });
  }
  for (const { pointer, expression } of bindings) {
    const where = `${what} ${pointer}`;
    for (const p of expressionPaths(expression)) {
      if (!schemaAt(definition, p))
        throw new Error(`${where}: "${p}" is not a value of this chart`);
    }
    const literal = getPointer(doc, pointer);
    const expected = evaluate(expression, values, namespace);
    const index = tokens.push(expression) - 1;
    if (expression.kind === 'mapEntries') {
      // The construct wrote its own entries plus the value's; the template keeps its own.
      const entries = (expected ?? {}) as Record<string, unknown>;
      const map = literal as Record<string, unknown>;
      for (const [k, v] of Object.entries(entries)) {
        if (!sameJson(map[k], v)) {
          throw new Error(
            `${where}: the map should contain the entries of ${expression.path} (missing "${k}")`,
          );
        }
        delete map[k];
      }
      if (Object.keys(map).length === 0) setPointer(doc, pointer, VALUE_TOKEN(index));
      else map[VALUE_TOKEN(index)] = '';
      continue;
    }
    if (!sameJson(literal, expected)) {
      throw new Error(
        `${where}: the construct wrote ${JSON.stringify(literal)}, but the binding renders ${JSON.stringify(expected)} ` +
          "for the chart's values: pass the chart's values to the construct, or fix the binding",
      );
    }
    setPointer(doc, pointer, VALUE_TOKEN(index));
  }
  const conditions = source.fieldConditions.map((f, i) => {
    schemaTypeOf(definition, f.condition.path, `${what} ${f.pointer}`);
    renameKey(doc, f.pointer, `${IF_TOKEN(i)}${f.pointer.split('/').pop()!}`);
    return f.condition;
  });

  const lines = toYamlDocument(doc).replace(/\n$/, '').split('\n');
  const out: string[] = [];
  const open: number[] = []; // indents of open field conditions
  const indentOf = (l: string) => l.length - l.trimStart().length;
  for (const line of lines) {
    while (open.length > 0 && line.trim() !== '' && indentOf(line) <= open[open.length - 1]!) {
      out.push(`${' '.repeat(open.pop()!)}{{- end }}`);
    }
    let current = line;
    const ifMatch = /^(\s*)(- )?__HELM_IF_(\d+)__/.exec(current);
    if (ifMatch) {
      if (ifMatch[2])
        throw new Error(`${what}: a conditional field cannot be the first key of a list item`);
      const indent = ifMatch[1]!.length;
      out.push(`${' '.repeat(indent)}{{- ${conditionText(conditions[Number(ifMatch[3])]!)} }}`);
      open.push(indent);
      current = current.replace(/__HELM_IF_\d+__/, '');
    }
    const entryMatch = /^(\s*)__HELM_(\d+)__: ""$/.exec(current);
    if (entryMatch) {
      const pad = entryMatch[1]!;
      const e = tokens[Number(entryMatch[2])]!;
      if (e.kind !== 'mapEntries') throw new Error(`${what}: unexpected map entry token`);
      out.push(
        `${pad}{{- if .Values.${e.path} }}`,
        `${pad}{{- toYaml .Values.${e.path} | nindent ${pad.length} }}`,
        `${pad}{{- end }}`,
      );
      continue;
    }
    const blockMatch = /^(\s*)(- )?([^\s:][^:]*): __HELM_(\d+)__$/.exec(current);
    const blockToken = blockMatch ? tokens[Number(blockMatch[4])]! : undefined;
    if (
      blockMatch &&
      blockToken &&
      (blockToken.kind === 'yaml' || blockToken.kind === 'mapEntries')
    ) {
      const column = blockMatch[1]!.length + (blockMatch[2] ? 2 : 0) + 2;
      out.push(current.replace(/ __HELM_\d+__$/, ''));
      out.push(`${' '.repeat(column)}{{- toYaml .Values.${blockToken.path} | nindent ${column} }}`);
      continue;
    }
    out.push(
      current.replace(/__HELM_(\d+)__/g, (_, i: string) =>
        inlineText(tokens[Number(i)]!, definition, `${what} (${file})`),
      ),
    );
  }
  while (open.length > 0) out.push(`${' '.repeat(open.pop()!)}{{- end }}`);

  const header = `# ${what}: generated by @fittech/manifests from the construct ${source.object.node.path}. Edit the construct, not this file.`;
  const body = out.join('\n');
  // The header goes inside the condition, so a disabled object renders to nothing at all (Helm then skips the file).
  if (source.condition)
    return `{{- ${conditionText(source.condition)} }}\n${header}\n${body}\n{{- end }}\n`;
  return `${header}\n${body}\n`;
}

function defaultReadme({
  valuesTable: table,
  metadata,
}: {
  valuesTable: string;
  metadata: ChartMetadata;
}): string {
  return [
    `# ${metadata.name}`,
    '',
    metadata.description,
    '',
    `Chart version ${metadata.version}, app version ${metadata.appVersion}.`,
    '',
    '## Install',
    '',
    '```sh',
    `helm upgrade --install ${metadata.name} ./ --namespace <namespace> --create-namespace`,
    '```',
    '',
    '## Values',
    '',
    table,
  ].join('\n');
}

/** Renders the chart with its own values; the objects must equal what the chart synthesizes. */
function selfCheck(files: ChartFiles, chart: Chart, values: unknown): void {
  const rendered = renderHelmChart(files, {
    values,
    namespace: chart.namespace ?? 'default',
    includeTests: true,
  }).objects;
  const synthesized = chart.toJson() as Record<string, unknown>[];
  const key = (o: Record<string, unknown>) =>
    `${String(o.kind)}/${String((o.metadata as { name?: string }).name)}`;
  const renderedByKey = new Map(rendered.map((o) => [key(o), o]));
  for (const s of synthesized) {
    const r = renderedByKey.get(key(s));
    if (!r)
      throw new Error(`Packaging check: ${key(s)} is synthesized but its template renders nothing`);
    if (!sameJson(r, s)) {
      throw new Error(
        `Packaging check: the template of ${key(s)} renders differently from the synthesized object:\n` +
          `  template:    ${JSON.stringify(r)}\n  synthesized: ${JSON.stringify(s)}`,
      );
    }
    renderedByKey.delete(key(s));
  }
  if (renderedByKey.size > 0) {
    throw new Error(
      `Packaging check: templates render objects the chart does not synthesize: ${[...renderedByKey.keys()].join(', ')}`,
    );
  }
}

function sortKeys(files: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
