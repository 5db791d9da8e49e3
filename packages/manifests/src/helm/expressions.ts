import { createHash } from 'node:crypto';
import { goJson, isTrue } from './template-language';
import { valueAt } from './values';

/**
 * What a field of a Kubernetes object becomes in the chart's templates. Each
 * kind is emitted as exactly one of the closed template forms (see
 * TEMPLATE_FORMS); `evaluate` computes what Helm will render for given values,
 * which is also what the construct must have written there.
 */
export type HelmExpression =
  /** A scalar value: `{{ .Values.p }}` (numbers, booleans) or `{{ .Values.p | quote }}` (strings). */
  | { readonly kind: 'value'; readonly path: string }
  /** An object or list value as a YAML block: `{{- toYaml .Values.p | nindent N }}`. */
  | { readonly kind: 'yaml'; readonly path: string }
  /** An image reference: `repository@digest` when a digest is set, else `repository:tag`. */
  | {
      readonly kind: 'image';
      readonly repository: string;
      readonly tag: string;
      readonly digest: string;
    }
  /** One of two strings, by a value's truth. */
  | {
      readonly kind: 'choose';
      readonly condition: HelmCondition;
      readonly then: HelmBranch;
      readonly otherwise: HelmBranch;
    }
  /** The SHA-256 of a value (hex), for a pod-template annotation that rolls the pods when it changes. */
  | { readonly kind: 'checksum'; readonly path: string }
  /** Extends a literal map with the entries of a map value (e.g. extra pod annotations). */
  | { readonly kind: 'mapEntries'; readonly path: string }
  /** The release namespace: `{{ .Release.Namespace }}`. */
  | { readonly kind: 'releaseNamespace' };

/** A branch of `choose`: a fixed string or a string value. */
export type HelmBranch = { readonly literal: string } | { readonly value: string };

/** Keeps an object or field when a value is set (`{{ if .Values.p }}`) or not set (`{{ if not .Values.p }}`). */
export interface HelmCondition {
  readonly path: string;
  readonly negate: boolean;
}

/** Constructors for expressions and conditions; paths are dotted value paths such as `image.tag`. */
export const Helm = {
  value: (path: string): HelmExpression => ({ kind: 'value', path }),
  yaml: (path: string): HelmExpression => ({ kind: 'yaml', path }),
  image: (paths: { repository: string; tag: string; digest: string }): HelmExpression => ({
    kind: 'image',
    ...paths,
  }),
  choose: (condition: HelmCondition, then: HelmBranch, otherwise: HelmBranch): HelmExpression => ({
    kind: 'choose',
    condition,
    then,
    otherwise,
  }),
  checksum: (path: string): HelmExpression => ({ kind: 'checksum', path }),
  mapEntries: (path: string): HelmExpression => ({ kind: 'mapEntries', path }),
  releaseNamespace: (): HelmExpression => ({ kind: 'releaseNamespace' }),
  /** Set: not false, 0, "", null, or an empty map or list. */
  when: (path: string): HelmCondition => ({ path, negate: false }),
  unless: (path: string): HelmCondition => ({ path, negate: true }),
} as const;

/** The value paths an expression reads. */
export function expressionPaths(e: HelmExpression): string[] {
  switch (e.kind) {
    case 'value':
    case 'yaml':
    case 'checksum':
    case 'mapEntries':
      return [e.path];
    case 'image':
      return [e.repository, e.tag, e.digest];
    case 'choose':
      return [
        e.condition.path,
        ...[e.then, e.otherwise].flatMap((b) => ('value' in b ? [b.value] : [])),
      ];
    case 'releaseNamespace':
      return [];
  }
}

export function conditionHolds(condition: HelmCondition, values: unknown): boolean {
  return isTrue(valueAt(values, condition.path)) !== condition.negate;
}

/** What Helm renders for an expression (for `mapEntries`: the entries added). */
export function evaluate(
  e: HelmExpression,
  values: unknown,
  namespace: string | undefined,
): unknown {
  const branch = (b: HelmBranch) => ('literal' in b ? b.literal : valueAt(values, b.value));
  switch (e.kind) {
    case 'value':
    case 'yaml':
    case 'mapEntries':
      return valueAt(values, e.path);
    case 'image': {
      const digest = valueAt(values, e.digest);
      return isTrue(digest)
        ? `${String(valueAt(values, e.repository))}@${String(digest)}`
        : `${String(valueAt(values, e.repository))}:${String(valueAt(values, e.tag))}`;
    }
    case 'choose':
      return conditionHolds(e.condition, values) ? branch(e.then) : branch(e.otherwise);
    case 'checksum':
      return createHash('sha256')
        .update(goJson(valueAt(values, e.path) ?? null))
        .digest('hex');
    case 'releaseNamespace':
      return namespace;
  }
}
