import { ApiObject, Chart } from 'cdk8s';
import type { Construct, IConstruct } from 'constructs';
import { TemplateSet, renderContext, type ReleaseInfo } from '../template/execute';
import { parseTemplate } from '../template/parse';
import { coalesceValues } from '../values/coalesce';
import type { ValuesDefinition } from '../values/definition';
import { validateValues, ValuesError } from '../values/validate';
import { ChartValues, withStandardValues, type StandardValues } from './chart-values';
import { checkSuffix, helperNames, helpersTemplate } from './helpers';
import { toKubeJson } from './kube-object';
import { Evaluator, materialize, OMIT } from './materialize';
import { reference, tokenFor, type Condition } from './tokens';

/** Chart.yaml. */
export interface ChartMetadata {
  /** Chart name (lower case, digits and "-"); also the prefix of its named templates. */
  readonly name: string;
  /** Chart version (SemVer 2). */
  readonly version: string;
  /** Version of the application the chart deploys (the app.kubernetes.io/version label). */
  readonly appVersion: string;
  readonly description: string;
  /** SemVer range of supported Kubernetes versions, e.g. ">=1.29.0-0". @default - any */
  readonly kubeVersion?: string;
  /** URL of an SVG or PNG icon. @default - none */
  readonly icon?: string;
  /** @default - none */
  readonly home?: string;
  /** @default - none */
  readonly sources?: readonly string[];
  /** @default - none */
  readonly keywords?: readonly string[];
  /** @default - none */
  readonly maintainers?: readonly {
    readonly name: string;
    readonly email?: string;
    readonly url?: string;
  }[];
}

/** Deep partial of a values type: what a values file may contain (null drops a default, as in Helm). */
export type ValuesOverrides<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: ValuesOverrides<T[K]> | null }
    : T;

export interface HelmChartProps<T> {
  /** Chart.yaml of the chart this construct packages into. */
  readonly chart: ChartMetadata;
  /** The chart's values: schema, defaults and documentation (global, nameOverride and fullnameOverride are added). */
  readonly values: ValuesDefinition<T>;
  /**
   * The release this synthesis renders (`toJson()`, `app.synth()`): the objects equal what
   * `helm template <name> --namespace <namespace>` renders for the same values.
   * @default - name: the chart name; namespace: "default"
   */
  readonly release?: { readonly name?: string; readonly namespace?: string };
  /**
   * Values coalesced over the defaults for this synthesis, as `helm template --values` would
   * (validated against the schema).
   * @default - the defaults
   */
  readonly valueOverrides?: ValuesOverrides<T & StandardValues>;
}

const HELM_CHART = Symbol.for('@fittech/manifests.HelmChart');

/** A condition, and what a field, list item or object becomes under it. */
export const Helm = {
  /** The value only when the condition holds: the field (or list item) is left out otherwise. */
  onlyIf<V>(condition: Condition, value: V): V {
    return reference(
      { kind: 'when', condition, value: toKubeJson(value) },
      typeof value === 'string' ? 'string' : 'any',
      'a conditional value',
    );
  },
  /** One of two scalars by a condition (`{{ if }} … {{ else }} … {{ end }}`). */
  choose<V extends string | number | boolean>(condition: Condition, then: V, otherwise: V): V {
    return reference(
      { kind: 'choose', condition, then: toKubeJson(then), otherwise: toKubeJson(otherwise) },
      typeof then === 'string' ? 'string' : 'any',
      'a choice between two values',
    );
  },
  /** The condition negated. */
  not(condition: Condition): Condition {
    return { ...condition, negate: !condition.negate };
  },
} as const;

/**
 * A cdk8s Chart that is a Helm chart: typed values, release-derived names,
 * and fields bound to values where they are written.
 *
 * Constructs inside it write fields with references from {@link values},
 * {@link release} and {@link fullname}; synthesizing the chart (`toJson()`,
 * `app.synth()`) gives the objects Helm renders for the synthesis release and
 * values, and {@link packageHelmChart} turns the same objects into templates.
 * Objects are namespaced to the release namespace.
 */
export class HelmChart<T = unknown> extends Chart {
  static isHelmChart(x: unknown): x is HelmChart {
    return typeof x === 'object' && x !== null && HELM_CHART in x;
  }

  /** The HelmChart a construct belongs to; throws (naming the construct) when it is not inside one. */
  static override of(construct: IConstruct): HelmChart {
    const chart = Chart.of(construct);
    if (!HelmChart.isHelmChart(chart)) {
      throw new Error(
        `${construct.node.path} must be defined inside a HelmChart: its names follow the Helm release and its fields are chart values`,
      );
    }
    return chart;
  }

  readonly metadata: ChartMetadata;
  /** The values definition, with the standard values. */
  readonly valuesDefinition: ValuesDefinition<T & StandardValues>;
  /** References to the values (and the values of this synthesis: `values.current`). */
  readonly values: ChartValues<T & StandardValues>;
  /** The release of this synthesis. */
  readonly synthesisRelease: ReleaseInfo;
  /** References to the release: `.Release.Name` and `.Release.Namespace`. */
  readonly release: { readonly name: string; readonly namespace: string };

  private readonly suffixes = new Set<string>();
  private readonly conditions = new Map<ApiObject, Condition>();

  constructor(scope: Construct, id: string, props: HelmChartProps<T>) {
    const namespace = reference<string>(
      { kind: 'value', expression: { pipeline: '.Release.Namespace', type: 'string' } },
      'string',
      '.Release.Namespace',
    );
    super(scope, id, { namespace });
    Object.defineProperty(this, HELM_CHART, { value: true });
    checkMetadata(props.chart);
    this.metadata = props.chart;
    this.valuesDefinition = withStandardValues(props.values);
    const current = coalesceValues(this.valuesDefinition.defaults, props.valueOverrides);
    const problems = validateValues(this.valuesDefinition, current);
    if (problems.length > 0) throw new ValuesError(problems, `values of chart "${id}"`);
    this.values = new ChartValues(this.valuesDefinition, current);
    this.synthesisRelease = {
      name: props.release?.name ?? props.chart.name,
      namespace: props.release?.namespace ?? 'default',
    };
    this.release = {
      name: reference(
        { kind: 'value', expression: { pipeline: '.Release.Name', type: 'string' } },
        'string',
        '.Release.Name',
      ),
      namespace,
    };
  }

  /** The release's full name (`include "<chart>.fullname" .`), or it with a suffix (`<fullname>-<suffix>`). */
  fullname(suffix?: string): string {
    const names = helperNames(this.metadata.name);
    if (suffix !== undefined) {
      checkSuffix(suffix);
      this.suffixes.add(suffix);
    }
    const helper = suffix === undefined ? names.fullname : names.suffixed(suffix);
    return reference(
      { kind: 'value', expression: { pipeline: `include "${helper}" .`, type: 'string' } },
      'string',
      helper,
    );
  }

  /** The recommended labels (helm.sh/chart, name, instance, version, managed-by), to spread into a labels map. */
  recommendedLabels(): Record<string, string> {
    return this.include(helperNames(this.metadata.name).labels);
  }

  /** The labels that select the release's pods, to spread into a selector or labels map. */
  selectorLabels(): Record<string, string> {
    return this.include(helperNames(this.metadata.name).selectorLabels);
  }

  private include(helper: string): Record<string, string> {
    return {
      [tokenFor({
        kind: 'entries',
        expression: { pipeline: `include "${helper}" .`, type: 'yaml' },
      })]: '',
    };
  }

  /** Keeps the whole object only when the condition holds. */
  includeObjectWhen(object: ApiObject, condition: Condition): void {
    if (Chart.of(object) !== (this as Chart))
      throw new Error(`${object.node.path} does not belong to chart ${this.node.path}`);
    if (this.conditions.has(object))
      throw new Error(`${object.node.path}: the object already has a condition`);
    this.conditions.set(object, condition);
  }

  /** templates/_helpers.tpl: the naming rules this chart's objects use. */
  helpersTemplate(): string {
    return helpersTemplate(this.metadata.name, [...this.suffixes]);
  }

  /**
   * The objects with their value references (tokens) and conditions, for the packager.
   * @internal
   */
  templateSources(): { object: ApiObject; json: Record<string, unknown>; condition?: Condition }[] {
    // In construct order (the tree's preorder): deterministic, and the order the constructs were written.
    const objects = this.node
      .findAll()
      .filter((c): c is ApiObject => c instanceof ApiObject && Chart.of(c) === (this as Chart));
    return objects.map((object) => {
      const condition = this.conditions.get(object);
      return {
        object,
        json: object.toJson() as Record<string, unknown>,
        ...(condition ? { condition } : {}),
      };
    });
  }

  /**
   * An evaluator of this synthesis's references (release, values, named templates).
   * @internal
   */
  evaluator(): Evaluator {
    const helpers = new TemplateSet([
      parseTemplate(this.helpersTemplate(), 'templates/_helpers.tpl'),
    ]);
    const context = renderContext(this.values.current, this.synthesisRelease, this.metadata);
    return new Evaluator(helpers, context);
  }

  /** The objects for this synthesis's release and values: what `helm template` renders. */
  override toJson(): Record<string, unknown>[] {
    const evaluator = this.evaluator();
    return this.templateSources()
      .filter((s) => !s.condition || evaluator.holds(s.condition))
      .map((s) => {
        const out = materialize(s.json, evaluator);
        if (out === OMIT)
          throw new Error(`${s.object.node.path}: the object's value is conditional`);
        return out as Record<string, unknown>;
      });
  }
}

function checkMetadata(m: ChartMetadata): void {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(m.name)) {
    throw new Error(`chart name "${m.name}" must be lower-case letters, digits and "-"`);
  }
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(m.version)) {
    throw new Error(`chart version "${m.version}" must be SemVer 2 (e.g. 1.2.3)`);
  }
}
