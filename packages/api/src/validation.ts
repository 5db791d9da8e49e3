/**
 * Request validation with the original service's (FastAPI/pydantic) rules and
 * error shape: 422 `{"detail": [{"type", "loc", "msg"}, ...]}` naming every
 * offending field, e.g. `{"type":"missing","loc":["body","email"],"msg":"Field required"}`.
 * Values are coerced as pydantic's lax mode does (`"3"` and `3.0` are valid
 * integers). Inputs are never echoed back: they may be passwords.
 */

export interface ValidationIssue {
  readonly type: string;
  readonly loc: readonly (string | number)[];
  readonly msg: string;
}

/** Thrown by route handlers; rendered as 422. */
export class RequestValidationError extends Error {
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(`Invalid request: ${issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; ')}`);
    this.name = 'RequestValidationError';
  }
}

export type FieldKind = 'str' | 'int' | 'float' | 'date' | 'datetime' | 'email';

export interface FieldSpec {
  readonly kind: FieldKind;
  /** Required fields must be present and not null. */
  readonly required?: boolean;
}

export type Schema = Readonly<Record<string, FieldSpec>>;

type Check = { ok: true; value: unknown } | { ok: false; type: string; msg: string };

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

function checkInt(input: unknown): Check {
  let n: number;
  if (typeof input === 'number') {
    if (!Number.isFinite(input))
      return { ok: false, type: 'int_type', msg: 'Input should be a valid integer' };
    if (!Number.isInteger(input)) {
      return {
        ok: false,
        type: 'int_from_float',
        msg: 'Input should be a valid integer, got a number with a fractional part',
      };
    }
    n = input;
  } else if (typeof input === 'string') {
    if (!/^\s*[+-]?\d+\s*$/.test(input)) {
      return {
        ok: false,
        type: 'int_parsing',
        msg: 'Input should be a valid integer, unable to parse string as an integer',
      };
    }
    n = Number(input);
  } else {
    return { ok: false, type: 'int_type', msg: 'Input should be a valid integer' };
  }
  if (n < INT32_MIN || n > INT32_MAX) {
    return {
      ok: false,
      type: 'int_range',
      msg: `Input should be between ${INT32_MIN} and ${INT32_MAX}`,
    };
  }
  return { ok: true, value: n };
}

function checkFloat(input: unknown): Check {
  if (typeof input === 'number' && Number.isFinite(input)) return { ok: true, value: input };
  if (typeof input === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(input)) {
    const n = Number(input);
    if (Number.isFinite(n)) return { ok: true, value: n };
  }
  return {
    ok: false,
    type: typeof input === 'string' ? 'float_parsing' : 'float_type',
    msg:
      typeof input === 'string'
        ? 'Input should be a valid number, unable to parse string as a number'
        : 'Input should be a valid number',
  };
}

function validCalendarDate(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(2000, m, 0)).getUTCDate(); // days in month m of a leap year
  if (d > days) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return !(m === 2 && d === 29 && !leap);
}

function checkDate(input: unknown): Check {
  const fail: Check = {
    ok: false,
    type: 'date_parsing',
    msg: 'Input should be a valid date in the format YYYY-MM-DD',
  };
  if (typeof input !== 'string') return { ...fail, type: 'date_type' };
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input);
  if (!m || !validCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) return fail;
  return { ok: true, value: input };
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/i;

/**
 * An ISO 8601 date-time (or a date, meaning midnight, or Unix seconds, as
 * pydantic accepts). A value without an offset is UTC. Returns a string
 * PostgreSQL parses exactly (microseconds kept), not a JS Date.
 */
function checkDatetime(input: unknown): Check {
  if (typeof input === 'number' && Number.isFinite(input)) {
    // pydantic: a number is Unix seconds, or milliseconds when larger than 2e10.
    const ms = Math.abs(input) > 2e10 ? input : input * 1000;
    const date = new Date(ms);
    if (!Number.isNaN(date.getTime())) return { ok: true, value: date.toISOString() };
  }
  const fail: Check = {
    ok: false,
    type: 'datetime_parsing',
    msg: 'Input should be a valid datetime, such as 2025-08-21T13:33:10Z',
  };
  if (typeof input !== 'string') {
    return typeof input === 'number' ? fail : { ...fail, type: 'datetime_type' };
  }
  const m = DATETIME.exec(input.trim());
  if (!m) return fail;
  const [, y, mo, d, hh = '00', mi = '00', ss = '00', frac, offset, oh = '0', om = '0'] = m;
  if (!validCalendarDate(Number(y), Number(mo), Number(d))) return fail;
  if (Number(hh) > 23 || Number(mi) > 59 || Number(ss) > 59) return fail;
  if (Number(oh) > 23 || Number(om) > 59) return fail;
  const zone = !offset || offset.toUpperCase() === 'Z' ? 'Z' : offset;
  return {
    ok: true,
    value: `${y}-${mo}-${d}T${hh}:${mi}:${ss}${frac ? `.${frac}` : ''}${zone}`,
  };
}

/** Lower-cases the domain (as email-validator normalises it); the local part is kept. */
export function normalizeEmail(email: string): string {
  const at = email.lastIndexOf('@');
  return at < 0 ? email : email.slice(0, at + 1) + email.slice(at + 1).toLowerCase();
}

function emailProblem(input: string): string | undefined {
  const at = input.lastIndexOf('@');
  if (at < 0) return 'An email address must have an @-sign.';
  const local = input.slice(0, at);
  const domain = input.slice(at + 1);
  if (local.length === 0) return 'There must be something before the @-sign.';
  if (domain.length === 0) return 'There must be something after the @-sign.';
  if (input.length > 254) return 'The email address is too long.';
  if (local.length > 64) return 'The email address is too long before the @-sign.';
  if (/\s/.test(input)) return 'The email address contains whitespace.';
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/.test(local) || /^\.|\.$|\.\./.test(local)) {
    return 'The part before the @-sign contains invalid characters or dots.';
  }
  const labels = domain.split('.');
  if (labels.length < 2) return 'The part after the @-sign is not valid. It should have a period.';
  for (const label of labels) {
    if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label)) {
      return 'The part after the @-sign is not valid.';
    }
  }
  if (/^\d+$/.test(labels[labels.length - 1]!)) return 'The part after the @-sign is not valid.';
  return undefined;
}

function checkEmail(input: unknown): Check {
  if (typeof input !== 'string') {
    return { ok: false, type: 'string_type', msg: 'Input should be a valid string' };
  }
  const problem = emailProblem(input);
  if (problem) {
    return {
      ok: false,
      type: 'value_error',
      msg: `value is not a valid email address: ${problem}`,
    };
  }
  return { ok: true, value: normalizeEmail(input) };
}

function checkStr(input: unknown): Check {
  return typeof input === 'string'
    ? { ok: true, value: input }
    : { ok: false, type: 'string_type', msg: 'Input should be a valid string' };
}

const CHECKS: Record<FieldKind, (input: unknown) => Check> = {
  str: checkStr,
  int: checkInt,
  float: checkFloat,
  date: checkDate,
  datetime: checkDatetime,
  email: checkEmail,
};

type Parsed<S extends Schema> = { [K in keyof S]: unknown };

/**
 * Validates a request body against a schema. Unknown fields are ignored (as
 * pydantic does); optional fields absent or null become null. Returns the
 * coerced values and the issues (empty when valid).
 */
export function validateBody<S extends Schema>(
  body: unknown,
  schema: S,
): { value: Parsed<S>; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const value = {} as Record<string, unknown>;
  if (body === undefined || body === null) {
    issues.push({ type: 'missing', loc: ['body'], msg: 'Field required' });
    return { value: value as Parsed<S>, issues };
  }
  if (typeof body !== 'object' || Array.isArray(body)) {
    issues.push({
      type: 'model_attributes_type',
      loc: ['body'],
      msg: 'Input should be a valid dictionary or object to extract fields from',
    });
    return { value: value as Parsed<S>, issues };
  }
  const record = body as Record<string, unknown>;
  for (const [name, spec] of Object.entries(schema)) {
    const input = Object.prototype.hasOwnProperty.call(record, name) ? record[name] : undefined;
    if (input === undefined || (input === null && !spec.required)) {
      if (spec.required)
        issues.push({ type: 'missing', loc: ['body', name], msg: 'Field required' });
      value[name] = null;
      continue;
    }
    const result = CHECKS[spec.kind](input);
    if (result.ok) value[name] = result.value;
    else issues.push({ type: result.type, loc: ['body', name], msg: result.msg });
  }
  return { value: value as Parsed<S>, issues };
}

/** Parses an integer path parameter such as `{user_id}`. */
export function pathInt(name: string, raw: string): { value: number } | { issue: ValidationIssue } {
  if (!/^[+-]?\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    return {
      issue: {
        type: 'int_parsing',
        loc: ['path', name],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
      },
    };
  }
  return { value: Number(raw) };
}
