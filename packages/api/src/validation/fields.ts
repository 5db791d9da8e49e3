import { z } from 'zod';
import type { IssueParams } from './issues';

/**
 * Field types with pydantic's lax coercions (`"3"` and `3.0` are integers, a
 * date means midnight) and the bounds PostgreSQL and clients need: no NUL byte
 * (PostgreSQL's text cannot hold one), no lone UTF-16 surrogate (it would be
 * silently replaced on the way in), dates a person can have.
 */

type Ctx = z.core.$RefinementCtx<unknown>;

function fail(ctx: Ctx, type: string, message: string): never {
  ctx.addIssue({ code: 'custom', message, params: { type } satisfies IssueParams });
  return z.NEVER as never;
}

/** A required field: absent is `missing`; the parser sees only present values. */
function field<T>(parse: (input: unknown, ctx: Ctx) => T) {
  return z.unknown().transform((input, ctx): T => {
    if (input === undefined) return fail(ctx, 'missing', 'Field required');
    return parse(input, ctx);
  });
}

/** Absent or null becomes null (pydantic's `Optional[...] = None`). */
export function optional<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((value) => value ?? null);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why `input` is not a string PostgreSQL can store as sent, or undefined when it is one. */
function stringProblem(input: unknown): [type: string, message: string] | undefined {
  if (typeof input !== 'string') return ['string_type', 'Input should be a valid string'];
  if (input.includes('\u0000')) {
    return ['string_nul', 'String should not contain NUL characters (\\u0000)'];
  }
  if (LONE_SURROGATE.test(input)) {
    return [
      'string_unicode',
      'String should be valid Unicode: it contains a lone UTF-16 surrogate',
    ];
  }
  return undefined;
}

function asString(input: unknown, ctx: Ctx): string {
  const problem = stringProblem(input);
  return problem ? fail(ctx, ...problem) : (input as string);
}

/** A string of at most `max` characters. */
export const text = (max: number) => field(asString).pipe(z.string().max(max));

const INTEGER = /^\s*[+-]?\d+\s*$/;

/** An integer in [min, max]; `"170"` and `70.0` are accepted as pydantic does. */
export function integer(min: number, max: number) {
  return field((input, ctx): number => {
    if (typeof input === 'number' && Number.isFinite(input)) {
      if (Number.isInteger(input)) return input;
      return fail(
        ctx,
        'int_from_float',
        'Input should be a valid integer, got a number with a fractional part',
      );
    }
    if (typeof input === 'string') {
      if (INTEGER.test(input)) return Number(input);
      return fail(
        ctx,
        'int_parsing',
        'Input should be a valid integer, unable to parse string as an integer',
      );
    }
    return fail(ctx, 'int_type', 'Input should be a valid integer');
  }).pipe(z.number().min(min).max(max));
}

const FLOAT = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;

/** A finite number in [min, max]; numeric strings are accepted as pydantic does. */
export function decimal(min: number, max: number) {
  return field((input, ctx): number => {
    if (typeof input === 'number' && Number.isFinite(input)) return input;
    if (typeof input === 'string') {
      if (FLOAT.test(input) && Number.isFinite(Number(input))) return Number(input);
      return fail(
        ctx,
        'float_parsing',
        'Input should be a valid number, unable to parse string as a number',
      );
    }
    return fail(ctx, 'float_type', 'Input should be a valid number');
  }).pipe(z.number().min(min).max(max));
}

/** Milliseconds since the epoch of a UTC date-time; years below 100 stay themselves (Date.UTC maps them to 19xx). */
function utcMillis(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number {
  const date = new Date(Date.UTC(2000, 0, 1, h, mi, s));
  date.setUTCFullYear(y, mo - 1, d);
  return date.getTime();
}

function validCalendarDate(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= new Date(utcMillis(y, m + 1, 0)).getUTCDate();
}

/** The first and last calendar days the API stores (PostgreSQL and ISO 8601 both represent them). */
export const EARLIEST_DAY = '1900-01-01';
export const LATEST_DAY = '2100-12-31';
const EARLIEST_INSTANT = Date.parse(`${EARLIEST_DAY}T00:00:00Z`);
const END_INSTANT = Date.parse('2101-01-01T00:00:00Z');

/** A `YYYY-MM-DD` calendar date in [earliest, latest] (both `YYYY-MM-DD`). */
export function calendarDate(earliest = EARLIEST_DAY, latest = LATEST_DAY) {
  return field((input, ctx): string => {
    if (typeof input !== 'string') return fail(ctx, 'date_type', 'Input should be a valid date');
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(input);
    if (!m || !validCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
      return fail(ctx, 'date_parsing', 'Input should be a valid date in the format YYYY-MM-DD');
    }
    // Same-length ISO dates compare as strings.
    if (input < earliest) {
      return fail(
        ctx,
        'greater_than_equal',
        `Input should be greater than or equal to ${earliest}`,
      );
    }
    if (input > latest) {
      return fail(ctx, 'less_than_equal', `Input should be less than or equal to ${latest}`);
    }
    return input;
  });
}

const DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-](\d{2})(?::?(\d{2}))?)?)?$/i;

const RANGE_MESSAGE = `Input should be a datetime from ${EARLIEST_DAY} to ${LATEST_DAY} (UTC)`;

/**
 * An ISO 8601 date-time (or a date, meaning midnight, or Unix seconds, as
 * pydantic accepts) between 1900-01-01 and 2100-12-31 UTC. A value without an
 * offset is UTC. Yields the instant in UTC as a string PostgreSQL parses
 * exactly (microseconds kept, any offset ISO 8601 allows), never a JS Date.
 */
export function timestamp() {
  return field((input, ctx): string => {
    const inRange = (ms: number) => ms >= EARLIEST_INSTANT && ms < END_INSTANT;
    if (typeof input === 'number' && Number.isFinite(input)) {
      // pydantic: a number is Unix seconds, or milliseconds when larger than 2e10.
      const ms = Math.abs(input) > 2e10 ? input : input * 1000;
      if (!inRange(ms)) return fail(ctx, 'datetime_range', RANGE_MESSAGE);
      return new Date(ms).toISOString();
    }
    if (typeof input !== 'string') {
      return fail(ctx, 'datetime_type', 'Input should be a valid datetime');
    }
    const invalid = () =>
      fail(
        ctx,
        'datetime_parsing',
        'Input should be a valid datetime, such as 2025-08-21T13:33:10Z',
      );
    const m = DATETIME.exec(input.trim());
    if (!m) return invalid();
    const [, y, mo, d, hh = '00', mi = '00', ss = '00', frac, offset, oh = '0', om = '0'] = m;
    if (!validCalendarDate(Number(y), Number(mo), Number(d))) return invalid();
    if (Number(hh) > 23 || Number(mi) > 59 || Number(ss) > 59) return invalid();
    if (Number(oh) > 23 || Number(om) > 59) return invalid();
    const zone = !offset || offset.toUpperCase() === 'Z' ? 'Z' : offset;
    const sign = zone === 'Z' ? 0 : zone.startsWith('-') ? -1 : 1;
    const offsetMs = sign * (Number(oh) * 60 + Number(om)) * 60_000;
    const instant =
      utcMillis(Number(y), Number(mo), Number(d), Number(hh), Number(mi), Number(ss)) - offsetMs;
    if (!inRange(instant)) return fail(ctx, 'datetime_range', RANGE_MESSAGE);
    // The instant in UTC: ISO 8601 allows offsets up to ±23:59, PostgreSQL only ±15:59 (22009
    // beyond). Offsets are whole minutes, so the fraction carries over unchanged.
    return `${new Date(instant).toISOString().slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
  });
}

/** An email address, trimmed, with its domain lower-cased (as email-validator normalises it). */
export function email() {
  return field((input, ctx): string => {
    const problem = stringProblem(input);
    if (problem) return fail(ctx, ...problem);
    const value = (input as string).trim();
    const at = value.lastIndexOf('@');
    const normalized = at < 0 ? value : value.slice(0, at + 1) + value.slice(at + 1).toLowerCase();
    if (normalized.length > 254 || !z.email().safeParse(normalized).success) {
      return fail(
        ctx,
        'value_error',
        'value is not a valid email address: expected name@example.com (at most 254 characters)',
      );
    }
    return normalized;
  });
}

/** How long a password may be: bcrypt uses its first 72 bytes only, so more is refused, not ignored. */
export const PASSWORD_MAX_BYTES = 72;
/** NIST SP 800-63B's minimum for a memorised secret chosen by the user. */
export const PASSWORD_MIN_CHARACTERS = 8;

/**
 * A password: at most 72 UTF-8 bytes (bcrypt would silently ignore the rest),
 * and, for a new one, at least `minCharacters` characters (Unicode code points).
 */
export function password(minCharacters = 0) {
  return field((input, ctx): string => {
    const problem = stringProblem(input);
    if (problem) return fail(ctx, ...problem);
    const value = input as string;
    if ([...value].length < minCharacters) {
      return fail(
        ctx,
        'string_too_short',
        `String should have at least ${minCharacters} characters`,
      );
    }
    if (Buffer.byteLength(value, 'utf8') > PASSWORD_MAX_BYTES) {
      return fail(
        ctx,
        'string_too_long',
        `String should have at most ${PASSWORD_MAX_BYTES} bytes in UTF-8 (bcrypt would ignore the rest); choose a shorter passphrase`,
      );
    }
    return value;
  });
}
