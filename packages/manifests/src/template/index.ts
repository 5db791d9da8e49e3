/**
 * The chart template language: the subset of Go's text/template (with Helm's
 * and sprig's functions) that the packager emits and the charts' named
 * templates use. The renderer executes exactly this; the tests hold it to
 * real Helm 3 and Helm 4 on awkward input.
 */
export {
  parseTemplate,
  TemplateError,
  type Template,
  type TemplateNode,
  type Pipeline,
  type Command,
  type Operand,
} from './parse';
export { TemplateSet, renderContext, type ReleaseInfo, type RenderContext } from './execute';
export { FUNCTION_NAMES } from './functions';

/** What a template may contain, for documentation (README, error messages). */
export const TEMPLATE_FORMS: readonly { readonly form: string; readonly meaning: string }[] = [
  {
    form: '{{ pipeline }}',
    meaning: 'prints a value: `.Values.a.b`, `.Release.Name`, `.Chart.Version`, a function call',
  },
  {
    form: 'a | f x | g',
    meaning: 'pipelines: the value on the left is the last argument of the function on the right',
  },
  {
    form: '{{ if p }} … {{ else if q }} … {{ else }} … {{ end }}',
    meaning:
      'a block kept by a value\'s truth (Go: false, 0, "", nil and empty collections are false)',
  },
  {
    form: '{{ define "name" }} … {{ end }}',
    meaning: 'a named template (templates/_helpers.tpl), called with `include "name" .`',
  },
  { form: '{{- … -}}', meaning: 'trims the whitespace before (after) the action' },
  { form: '{{/* … */}}', meaning: 'a comment' },
  {
    form: 'functions',
    meaning:
      'include, printf (%s %v %d %q), quote, toYaml, toJson, sha256sum, nindent, indent, trunc, trimSuffix, default, contains, replace, not',
  },
];
