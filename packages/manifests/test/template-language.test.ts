import { createHash } from 'node:crypto';
import { parseTemplate, TemplateError, TEMPLATE_FORMS } from '@fittech/manifests';
import { executeTemplate, goJson, goPrint, goQuote } from '../src/helm/template-language';

const render = (source: string, values: unknown, namespace = 'ns') =>
  executeTemplate(parseTemplate(source, 't.yaml'), { values, release: { namespace } });

describe('the closed set of template forms', () => {
  test('renders each form', () => {
    const values = { a: { n: 3, s: 'x "y"', b: false, m: { k: 'v', l: [1] } } };
    expect(render('n: {{ .Values.a.n }}', values)).toBe('n: 3');
    expect(render('s: {{ .Values.a.s | quote }}', values)).toBe('s: "x \\"y\\""');
    expect(render('m:\n  {{- toYaml .Values.a.m | nindent 2 }}', values)).toBe(
      'm:\n  k: v\n  l:\n    - 1',
    );
    expect(render('ns: {{ .Release.Namespace }}', values)).toBe('ns: ns');
    expect(render('{{ if .Values.a.b }}yes{{ else }}no{{ end }}', values)).toBe('no');
    expect(render('{{ if not .Values.a.b }}yes{{ end }}', values)).toBe('yes');
    expect(render('h: {{ .Values.a.m | toJson | sha256sum | quote }}', values)).toBe(
      // sha256 of {"k":"v","l":[1]}
      `h: "${createHash('sha256').update('{"k":"v","l":[1]}').digest('hex')}"`,
    );
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

  test('any other action is refused with the file, line and the allowed forms', () => {
    for (const action of [
      '{{ include "x" . }}',
      '{{ .Values.a | default 1 }}',
      '{{ .Chart.Name }}',
      '{{/* c */}}',
      '{{ range .Values.l }}',
      '{{.Values.a}}',
    ]) {
      expect(() => parseTemplate(`a: 1\nb: ${action}\n`, 'templates/x.yaml')).toThrow(
        TemplateError,
      );
      expect(() => parseTemplate(`a: 1\nb: ${action}\n`, 'templates/x.yaml')).toThrow(
        /^templates\/x\.yaml:2: /,
      );
    }
    expect(() => parseTemplate('{{ .Values.a | default 1 }}', 'x')).toThrow(
      TEMPLATE_FORMS[0]!.form,
    );
  });

  test('unbalanced blocks are refused', () => {
    expect(() => parseTemplate('{{ if .Values.a }}x', 'f')).toThrow(
      /f:1: "\{\{ if \}\}" is never closed/,
    );
    expect(() => parseTemplate('x\n{{ end }}', 'f')).toThrow(/f:2: "\{\{ end \}\}" without/);
    expect(() => parseTemplate('{{ else }}', 'f')).toThrow(/without an open/);
    expect(() => parseTemplate('{{ .Values.a', 'f')).toThrow(/unclosed action/);
  });

  test('a missing value is an error, not an empty string', () => {
    expect(() => render('{{ .Values.a.b }}', { a: {} })).toThrow(/\.Values\.a\.b is not set/);
    expect(() => render('{{ .Values.a.b }}', {})).toThrow(/\.Values\.a is not set/);
  });
});

describe('Go formatting, as Helm prints values read from a values file', () => {
  test('numbers print as Go prints float64 (%v)', () => {
    expect(goPrint(3)).toBe('3');
    expect(goPrint(123456)).toBe('123456');
    expect(goPrint(1000000)).toBe('1e+06');
    expect(goPrint(123456789)).toBe('1.23456789e+08');
    expect(goPrint(0.5)).toBe('0.5');
    expect(goPrint(0.00001)).toBe('1e-05');
    expect(goPrint(true)).toBe('true');
  });

  test('quote escapes like strconv.Quote, which YAML reads back unchanged', () => {
    expect(goQuote('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(goQuote('tab\there\n')).toBe('"tab\\there\\n"');
    expect(goQuote('\x01\x7f')).toBe('"\\x01\\x7f"');
    expect(goQuote('ünï €')).toBe('"ünï €"');
    expect(goQuote('\u200b')).toBe('"\\u200b"');
  });

  test('toJson sorts keys and escapes HTML like encoding/json', () => {
    expect(goJson({ b: 1, a: '<&>', c: [true, null] })).toBe(
      '{"a":"\\u003c\\u0026\\u003e","b":1,"c":[true,null]}',
    );
    expect(goJson('\u2028')).toBe('"\\u2028"');
    expect(goJson(1e21)).toBe('1e+21');
    expect(goJson(0.0000001)).toBe('1e-7');
  });
});
