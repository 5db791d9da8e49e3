/**
 * The chart template language: the subset of text/template with Helm's and
 * sprig's functions that the packager emits and the charts' helpers use.
 * Unit tests for its parser and executor, then a conformance table run
 * through real Helm 3 and Helm 4: every function on awkward input must print
 * exactly what Helm prints.
 */
import { renderHelmChart, parseTemplate, TemplateError, TEMPLATE_FORMS } from '@fittech/manifests';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { TemplateSet, renderContext } from '../src/template/execute';
import { goJson, goPrint, goQuote } from '../src/template/go';
import { helmBinaries } from '../../../tools/support/helm';

const render = (source: string, values: unknown, release = { name: 'rel', namespace: 'ns' }) =>
  new TemplateSet([parseTemplate(source, 't.yaml')]).render(
    't.yaml',
    renderContext(values, release, { name: 'chart', version: '1.2.3+build.5', appVersion: '4.5' }),
  );

describe('the parser', () => {
  test('pipelines, parentheses, literals and fields', () => {
    const values = { a: { n: 3, s: 'x "y"' } };
    expect(render('{{ .Values.a.n }}', values)).toBe('3');
    expect(render('{{ .Values.a.s | quote }}', values)).toBe('"x \\"y\\""');
    expect(render('{{ printf "%s-%v" .Release.Name .Values.a.n | quote }}', values)).toBe(
      '"rel-3"',
    );
    expect(render('{{ printf "%s" (.Values.a.s | quote) }}', values)).toBe('"x \\"y\\""');
    expect(render('{{ "lit\\n" | quote }} {{ `raw\\n` | quote }} {{ 12 }}', values)).toBe(
      '"lit\\n" "raw\\\\n" 12',
    );
    expect(render('{{ .Chart.Name }}-{{ .Chart.Version }}-{{ .Release.Namespace }}', values)).toBe(
      'chart-1.2.3+build.5-ns',
    );
  });

  test('if / else if / else, define and include, comments', () => {
    const source = [
      '{{/* a comment */}}',
      '{{- define "t.kind" -}}',
      '{{- if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}',
      '{{- end -}}',
      '[{{ include "t.kind" . }}]',
    ].join('\n');
    expect(render(source, { a: 1 })).toBe('[A]');
    expect(render(source, { a: 0, b: 'x' })).toBe('[B]');
    expect(render(source, {})).toBe('[C]');
  });

  test('trim markers remove the whitespace on their side, as in Go templates', () => {
    const source = 'a: 1\n  {{- if .Values.on }}\nb: 2\n  {{- end }}\nc: 3';
    expect(render(source, { on: true })).toBe('a: 1\nb: 2\nc: 3');
    expect(render(source, { on: false })).toBe('a: 1\nc: 3');
    expect(render('x {{ .Values.n -}}   \n y', { n: 1 })).toBe('x 1y');
  });

  test('truth follows Go: false, 0, "", null and empty collections are false', () => {
    for (const v of [false, 0, '', null, [], {}])
      expect(render('{{ if .Values.v }}t{{ else }}f{{ end }}', { v })).toBe('f');
    for (const v of [true, 1, 'x', [0], { a: 1 }])
      expect(render('{{ if .Values.v }}t{{ else }}f{{ end }}', { v })).toBe('t');
  });

  test('a missing value prints nothing (Helm strips "<no value>"); a field of nothing is an error', () => {
    expect(render('[{{ .Values.missing }}]', {})).toBe('[]');
    expect(() => render('{{ .Values.a.b }}', {})).toThrow(
      /t\.yaml:1: nil pointer evaluating interface \{\}\.b/,
    );
    expect(() => render('{{ .Values.a.b }}', { a: 'text' })).toThrow(
      /can't evaluate field b in type string/,
    );
  });

  // Each of these is a regression of the closed language: something Helm would
  // accept that our renderer cannot execute must fail loudly, naming file and line.
  test.each([
    ['range', '{{ range .Values.l }}x{{ end }}', /not part of the chart template language/],
    ['with', '{{ with .Values.a }}x{{ end }}', /not part of the chart template language/],
    ['variables', '{{ $x := 1 }}', /not part of the chart template language/],
    [
      'an unknown function',
      '{{ .Values.a | upper }}',
      /function "upper" is not part of the chart template language/,
    ],
    ['tpl', '{{ tpl .Values.a . }}', /function "tpl"/],
    ['a printf verb', '{{ printf "%x" 1 }}', /the verb %x/],
    ['%d (values are float64 in Go)', '{{ printf "%d" .Values.a }}', /the verb %d/],
  ])('refuses %s, naming the file and line', (_name, action, message) => {
    const source = `a: 1\nb: ${action}\n`;
    expect(() => render(source, { a: 'x', l: [1] })).toThrow(TemplateError);
    expect(() => render(source, { a: 'x', l: [1] })).toThrow(/^t\.yaml:2: /);
    expect(() => render(source, { a: 'x', l: [1] })).toThrow(message);
  });

  test('unbalanced blocks and unclosed actions are refused', () => {
    expect(() => parseTemplate('{{ if .Values.a }}x', 'f')).toThrow(/f:1: "if" is never closed/);
    expect(() => parseTemplate('x\n{{ end }}', 'f')).toThrow(/f:2: "end" without an open/);
    expect(() => parseTemplate('{{ else }}', 'f')).toThrow(/"else" without an open "if"/);
    expect(() => parseTemplate('{{ .Values.a', 'f')).toThrow(/unclosed action/);
    expect(() =>
      parseTemplate('{{ if .Values.a }}{{ define "x" }}{{ end }}{{ end }}', 'f'),
    ).toThrow(/"define" must be at the top level/);
  });

  test('include reports a template that is not defined, and runaway recursion', () => {
    expect(() => render('{{ include "nope" . }}', {})).toThrow(/no template "nope" is defined/);
    expect(() =>
      render('{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}', {}),
    ).toThrow(/nests deeper than 100/);
  });

  test('TEMPLATE_FORMS documents the language', () => {
    expect(TEMPLATE_FORMS.map((f) => f.form)).toEqual(
      expect.arrayContaining(['{{ pipeline }}', '{{ define "name" }} … {{ end }}']),
    );
  });
});

describe('Go formatting, as Helm prints values read from a values file', () => {
  test.each([
    [3, '3'],
    [123456, '123456'],
    [1000000, '1e+06'],
    [123456789, '1.23456789e+08'],
    [0.5, '0.5'],
    [0.00001, '1e-05'],
    [true, 'true'],
    [{ b: 1, a: [1, 'x'] }, 'map[a:[1 x] b:1]'],
  ])('%j prints as %s (fmt %%v of float64)', (value, printed) => {
    expect(goPrint(value)).toBe(printed);
  });

  test('quote escapes like strconv.Quote, which YAML reads back unchanged', () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('tab\there\n')).toBe('"tab\\there\\n"');
    expect(goQuote('\x01\x7f')).toBe('"\\x01\\x7f"');
    expect(goQuote('ünï €')).toBe('"ünï €"');
    expect(goQuote('\u200b\u2028\u0085')).toBe('"\\u200b\\u2028\\u0085"');
    expect(goQuote('😀')).toBe('"😀"');
  });

  test('toJson sorts keys by bytes and escapes HTML like encoding/json', () => {
    expect(goJson({ b: 1, a: '<&>', c: [true, null] })).toBe(
      '{"a":"\\u003c\\u0026\\u003e","b":1,"c":[true,null]}',
    );
    expect(goJson('\u2028')).toBe('"\\u2028"');
    expect(goJson(1e21)).toBe('1e+21');
    expect(goJson(0.0000001)).toBe('1e-7');
    expect(goJson({ é: 1, z: 2 })).toBe('{"z":2,"é":1}');
  });
});

/**
 * Conformance with real Helm: one ConfigMap whose data exercises every function
 * of the language on awkward values; Helm 3, Helm 4 and our renderer must
 * render the same object.
 */
describe('the language agrees with real Helm, function by function', () => {
  const lines: [string, string][] = [
    ['quoteString', '{{ .Values.s | quote }}'],
    ['quoteNumber', '{{ .Values.big | quote }}'],
    ['quoteNil', '{{ quote .Values.missing .Values.s }}'],
    [
      'printNumbers',
      '{{ printf "%v %v %v %v" .Values.big .Values.small .Values.int .Values.neg | quote }}',
    ],
    [
      'printfVerbs',
      '{{ printf "%s|%q|%%|%s|%v" .Values.s .Values.s .Values.int .Values.int | quote }}',
    ],
    ['printfMissing', '{{ printf "%s %s" .Values.s | quote }}'],
    ['toJson', '{{ .Values.map | toJson | quote }}'],
    ['sha256', '{{ .Values.map | toJson | sha256sum | quote }}'],
    ['truncBytes', '{{ .Values.unicode | trunc 5 | quote }}'],
    ['truncNegative', '{{ .Values.s | trunc -3 | quote }}'],
    ['trimSuffix', '{{ printf "%s-" .Values.name | trunc 63 | trimSuffix "-" | quote }}'],
    [
      'default',
      '{{ printf "%v|%v" (default "fallback" .Values.empty) (default "fallback" .Values.zero) | quote }}',
    ],
    ['defaultKeeps', '{{ default "fallback" .Values.s | quote }}'],
    ['contains', '{{ if contains "lo" .Values.name }}"yes"{{ else }}"no"{{ end }}'],
    ['replace', '{{ replace "+" "_" .Values.version | quote }}'],
    ['not', '{{ if not .Values.empty }}"empty"{{ end }}'],
    ['indent', '{{ "a\\nb" | indent 2 | quote }}'],
    [
      'release',
      '{{ printf "%s/%s/%s" .Release.Name .Release.Namespace .Release.Service | quote }}',
    ],
    ['chart', '{{ printf "%s:%s:%s" .Chart.Name .Chart.Version .Chart.AppVersion | quote }}'],
  ];
  const template = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: conformance',
    'data:',
    ...lines.map(([k, v]) => `  ${k}: ${v}`),
    'block:',
    '  {{- toYaml .Values.map | nindent 2 }}',
    '',
  ].join('\n');
  const values = {
    s: 'it\'s "x" <&> ü\u2028\t%',
    big: 123456789,
    small: 0.00001,
    int: 42,
    neg: -7,
    unicode: 'üüüü',
    name: 'hello',
    version: '1.2.3+build',
    empty: '',
    zero: 0,
    map: { z: [1, 'two', null, true], a: { 'key: x': 'no', yes: '~', n: 1.5 }, é: '\u2029' },
  };
  const files = {
    'Chart.yaml': 'apiVersion: v2\nname: conformance\nversion: 1.2.3+build.5\nappVersion: "4.5"\n',
    'values.yaml': `${JSON.stringify(values).replace(/[\u007f-\u{10ffff}]/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`)}\n`,
    'values.schema.json': '{}',
    'templates/conformance.yaml': template,
  };
  const ours = renderHelmChart(files, { release: 'rel', namespace: 'ns' }).objects[0];

  test.each(helmBinaries().map((h) => [h.version, h] as const))('Helm %s', (_version, helm) => {
    const dir = mkdtempSync(join(tmpdir(), 'fittech-lang-'));
    try {
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(join(dir, 'chart', 'templates'), { recursive: true });
        writeFileSync(join(dir, 'chart', file), text);
      }
      const result = helm.run(['template', 'rel', join(dir, 'chart'), '--namespace', 'ns']);
      expect(result.stderr).toBe('');
      const theirs = parseAllDocuments(result.stdout, { version: '1.1' })
        .map((d) => d.toJS())
        .filter(Boolean)[0];
      expect(theirs).toEqual(ours);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
