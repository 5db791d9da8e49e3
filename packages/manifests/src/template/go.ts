/**
 * Go's view of the values a Helm template sees. Values come from YAML parsed
 * into Go's `interface{}`: maps, lists, strings, booleans and float64 numbers.
 * These functions print, quote, serialize and test them exactly as Go's fmt,
 * strconv, encoding/json and text/template do, so our renderer and Helm agree.
 */

/** text/template truth: false, 0, "", nil and empty maps and lists are false. */
export function isTrue(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** What text/template prints for nil; Helm then removes it from the rendered text. */
export const NO_VALUE = '<no value>';

/** fmt's %v of a value read from YAML (numbers are float64: exponent form from 1e+06 and below 1e-04). */
export function goPrint(v: unknown): string {
  if (v === null || v === undefined) return NO_VALUE;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return goFloat(v);
  if (Array.isArray(v)) return `[${v.map(goPrint).join(' ')}]`;
  const entries = Object.keys(v as object)
    .sort(compareBytes)
    .map((k) => `${k}:${goPrint((v as Record<string, unknown>)[k])}`);
  return `map[${entries.join(' ')}]`;
}

function goFloat(f: number): string {
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : f < 0 ? '-Inf' : 'NaN';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mantissa, exponent] = f.toExponential().split('e') as [string, string];
  const exp = Number(exponent);
  // %v is strconv's 'g' with the shortest digits, which uses the exponent form
  // below 1e-4 and from 1e+06 on (with at least two exponent digits).
  if (exp < -4 || exp >= 6) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(f);
}

/** Is this code point printable for strconv.Quote (letters, marks, numbers, punctuation, symbols, ASCII space)? */
function printable(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  return cp === 0x20 || (cp > 0x20 && cp !== 0x7f && /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch));
}

/**
 * Go's strconv.Quote (sprig's `quote`, Go string literals). Its escapes are
 * also valid YAML double-quoted escapes with the same meaning, so a quoted
 * value is a safe YAML scalar whatever it holds (line separators included).
 */
export function goQuote(s: string): string {
  let q = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') q += `\\${ch}`;
    else if (printable(ch)) q += ch;
    else if (ch === '\x07') q += '\\a';
    else if (ch === '\b') q += '\\b';
    else if (ch === '\f') q += '\\f';
    else if (ch === '\n') q += '\\n';
    else if (ch === '\r') q += '\\r';
    else if (ch === '\t') q += '\\t';
    else if (ch === '\v') q += '\\v';
    else if (cp >= 0xd800 && cp <= 0xdfff)
      q += '\\ufffd'; // a lone surrogate is not UTF-8: Go sees U+FFFD
    else if (cp < 0x80) q += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) q += `\\u${cp.toString(16).padStart(4, '0')}`;
    else q += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${q}"`;
}

/** Parses a Go interpreted string literal (the body between the quotes). */
export function goUnquote(body: string): string {
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = body[++i];
    const hex = (n: number) => {
      const digits = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(digits))
        throw new Error(`bad escape \\${e}${digits}`);
      i += n;
      return parseInt(digits, 16);
    };
    switch (e) {
      case 'a':
        out += '\x07';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '"':
        out += '"';
        break;
      case 'x':
        out += String.fromCharCode(hex(2));
        break;
      case 'u':
        out += String.fromCodePoint(hex(4));
        break;
      case 'U':
        out += String.fromCodePoint(hex(8));
        break;
      default:
        throw new Error(`unknown escape \\${e ?? ''}`);
    }
  }
  return out;
}

/** Go's encoding/json (sprig's toJson): sorted keys, HTML-safe escapes, float64 numbers. */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('json: unsupported value: ' + String(v));
    const abs = Math.abs(v);
    // Go switches to the exponent form at the same bounds as JavaScript, and
    // also writes a single exponent digit (1e-7, 1e+21).
    return abs !== 0 && (abs < 1e-6 || abs >= 1e21) ? v.toExponential() : String(v);
  }
  if (typeof v === 'string') {
    let s = '"';
    for (const ch of v) {
      const cp = ch.codePointAt(0)!;
      if (ch === '"' || ch === '\\') s += `\\${ch}`;
      else if (ch === '\n') s += '\\n';
      else if (ch === '\r') s += '\\r';
      else if (ch === '\t') s += '\\t';
      else if (cp >= 0xd800 && cp <= 0xdfff) s += '\\ufffd';
      else if (
        cp < 0x20 ||
        ch === '<' ||
        ch === '>' ||
        ch === '&' ||
        cp === 0x2028 ||
        cp === 0x2029
      )
        s += `\\u${cp.toString(16).padStart(4, '0')}`;
      else s += ch;
    }
    return `${s}"`;
  }
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`;
  if (typeof v === 'object') {
    const entries = Object.keys(v as object)
      .sort(compareBytes)
      .map((k) => `${goJson(k)}:${goJson((v as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  throw new Error(`json: unsupported value ${String(v)}`);
}

/** Go sorts map keys by their bytes (UTF-8), not by UTF-16 code units. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
