import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { IConstruct, Construct } from 'constructs';
import { conditionHolds, type HelmCondition, type HelmExpression } from './expressions';
import { hasPointer, removePointer } from './json-pointer';
import { mergeValues, validateValues, ValuesError, type ValuesDefinition } from './values';

/** Deep partial of a values type: what a values file may contain. */
export type ValuesOverrides<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: ValuesOverrides<T[K]> }
    : T;

export interface HelmChartProps<T> extends ChartProps {
  /** The chart's values: schema, defaults and documentation. */
  readonly values: ValuesDefinition<T>;
  /**
   * Values merged over the defaults for this synthesis, as `helm --values`
   * would (validated against the schema).
   * @default - the defaults
   */
  readonly valueOverrides?: ValuesOverrides<T>;
}

/** A field of an object whose content comes from the chart's values. */
export interface ValueBinding {
  readonly pointer: string;
  readonly expression: HelmExpression;
}

/** A field kept only when a condition on the values holds. */
export interface FieldCondition {
  readonly pointer: string;
  readonly condition: HelmCondition;
}

/** Everything the packager needs to know about one object. */
export interface TemplateSource {
  readonly object: ApiObject;
  /** The object as synthesized (every field literal, no condition applied). */
  readonly json: Record<string, unknown>;
  readonly bindings: readonly ValueBinding[];
  readonly fieldConditions: readonly FieldCondition[];
  readonly condition?: HelmCondition;
}

const HELM_CHART = Symbol.for('@fittech/manifests.HelmChart');

export interface ObjectBindings {
  bindings: ValueBinding[];
  fieldConditions: FieldCondition[];
  condition?: HelmCondition;
}

/**
 * A cdk8s Chart with typed Helm values.
 *
 * Constructs inside it read `values` (typed, already merged and validated) to
 * write literal fields, and declare where those fields come from with
 * {@link bindValue}, {@link includeObjectWhen} and {@link includeFieldWhen}.
 * Synthesizing the chart (`toJson()`, `app.synth()`) gives the objects for its
 * values; {@link packageHelmChart} turns the same tree into a Helm chart whose
 * templates render those objects for any values.
 */
export class HelmChart<T = unknown> extends Chart {
  static isHelmChart(x: unknown): x is HelmChart {
    return typeof x === 'object' && x !== null && HELM_CHART in x;
  }

  /** The HelmChart a construct belongs to, or undefined when its chart is a plain cdk8s Chart. */
  static tryOf(construct: IConstruct): HelmChart | undefined {
    const chart = Chart.of(construct);
    return HelmChart.isHelmChart(chart) ? chart : undefined;
  }

  readonly valuesDefinition: ValuesDefinition<T>;
  /** The values of this synthesis: the defaults with `valueOverrides` merged over them. */
  readonly values: T;
  private readonly objectBindings = new Map<ApiObject, ObjectBindings>();

  constructor(scope: Construct, id: string, props: HelmChartProps<T>) {
    super(scope, id, props);
    Object.defineProperty(this, HELM_CHART, { value: true });
    this.valuesDefinition = props.values;
    this.values = mergeValues(props.values.defaults, props.valueOverrides);
    const problems = validateValues(props.values, this.values);
    if (problems.length > 0) throw new ValuesError(problems, `values of chart "${id}"`);
  }

  /** Declares that the field at `pointer` (RFC 6901) of `object` is `expression` in the templates. */
  bindValue(object: ApiObject, pointer: string, expression: HelmExpression): void {
    this.entry(object).bindings.push({ pointer, expression });
  }

  /** Keeps the whole object only when `condition` holds. */
  includeObjectWhen(object: ApiObject, condition: HelmCondition): void {
    const entry = this.entry(object);
    if (entry.condition) throw new Error(`${object.node.path}: the object already has a condition`);
    entry.condition = condition;
  }

  /** Keeps the field at `pointer` (a map key) only when `condition` holds. */
  includeFieldWhen(object: ApiObject, pointer: string, condition: HelmCondition): void {
    this.entry(object).fieldConditions.push({ pointer, condition });
  }

  /** The objects for this chart's values: conditions applied. */
  override toJson(): Record<string, unknown>[] {
    const entries = this.sources();
    return entries
      .filter((s) => !s.condition || conditionHolds(s.condition, this.values))
      .map((s) => {
        const json = structuredClone(s.json);
        for (const f of s.fieldConditions) {
          if (!conditionHolds(f.condition, this.values) && hasPointer(json, f.pointer)) {
            removePointer(json, f.pointer);
          }
        }
        return json;
      });
  }

  /** The objects with every field literal and no condition applied, with their bindings (for the packager). */
  templateSources(): TemplateSource[] {
    return this.sources();
  }

  private sources(): TemplateSource[] {
    return chartSources(this, super.toJson() as Record<string, unknown>[], (o) =>
      this.objectBindings.get(o),
    );
  }

  private entry(object: ApiObject): ObjectBindings {
    if (Chart.of(object) !== this) {
      throw new Error(`${object.node.path} does not belong to chart ${this.node.path}`);
    }
    let entry = this.objectBindings.get(object);
    if (!entry) {
      entry = { bindings: [], fieldConditions: [] };
      this.objectBindings.set(object, entry);
    }
    return entry;
  }
}

/**
 * Pairs a chart's synthesized objects with their constructs (an L2 construct's
 * ApiObject is a grandchild of the chart, so objects are matched by identity:
 * apiVersion, kind and name).
 */
export function chartSources(
  chart: Chart,
  json: readonly Record<string, unknown>[],
  bindingsOf: (object: ApiObject) => ObjectBindings | undefined = () => undefined,
): TemplateSource[] {
  const byKey = new Map<string, ApiObject>();
  for (const o of chart.node.findAll()) {
    if (o instanceof ApiObject && Chart.of(o) === chart)
      byKey.set(objectKey(o.apiVersion, o.kind, o.name), o);
  }
  return json.map((j) => {
    const meta = (j.metadata ?? {}) as { name?: string };
    const object = byKey.get(objectKey(String(j.apiVersion), String(j.kind), String(meta.name)));
    if (!object)
      throw new Error(`cannot find the construct of ${String(j.kind)}/${String(meta.name)}`);
    const entry = bindingsOf(object);
    return {
      object,
      json: j,
      bindings: entry?.bindings ?? [],
      fieldConditions: entry?.fieldConditions ?? [],
      ...(entry?.condition ? { condition: entry.condition } : {}),
    };
  });
}

function objectKey(apiVersion: string, kind: string, name: string): string {
  return `${apiVersion}|${kind}|${name}`;
}
