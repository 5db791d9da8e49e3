/**
 * Request validation with zod: pydantic's lax coercions, the ranges a person
 * can have, strings PostgreSQL can store as sent, and FastAPI's 422 shape.
 */
import { z } from 'zod';
import {
  calendarDate,
  decimal,
  email,
  foodLogBody,
  integer,
  onboardingBody,
  optional,
  parseBody,
  parsePathId,
  password,
  registerBody,
  RequestValidationError,
  text,
  timestamp,
  tokenForm,
  workoutLogBody,
  type ValidationIssue,
} from '@fittech/api';

/** The issues a body raises, or [] when it is valid. */
function issuesOf(schema: z.ZodType, body: unknown): ValidationIssue[] {
  try {
    parseBody(schema, body);
    return [];
  } catch (error) {
    if (error instanceof RequestValidationError) return [...error.issues];
    throw error;
  }
}
const one = (field: z.ZodType, input: unknown) => {
  const schema = z.object({ v: field });
  const issues = issuesOf(schema, { v: input });
  return issues.length > 0
    ? { issues }
    : { value: (parseBody(schema, { v: input }) as { v: unknown }).v };
};
const typeOf = (field: z.ZodType, input: unknown) => one(field, input).issues?.[0]?.type;

describe('field types', () => {
  it.each([
    [3, 3],
    ['3', 3],
    [' -7 ', -7],
    [70.0, 70],
  ])('integer accepts %p as %p (pydantic lax mode)', (input, value) => {
    expect(one(integer(-10, 100), input)).toEqual({ value });
  });

  it.each([
    [1.5, 'int_from_float'],
    ['1.5', 'int_parsing'],
    ['abc', 'int_parsing'],
    [true, 'int_type'],
    [101, 'less_than_equal'],
    [-11, 'greater_than_equal'],
  ])('integer in [-10, 100] rejects %p (%s)', (input, type) => {
    expect(one(integer(-10, 100), input).issues).toEqual([
      expect.objectContaining({ type, loc: ['body', 'v'] }),
    ]);
  });

  it('names the bound it enforces, as pydantic does', () => {
    expect(one(integer(0, 300), 301).issues).toEqual([
      {
        type: 'less_than_equal',
        loc: ['body', 'v'],
        msg: 'Input should be less than or equal to 300',
      },
    ]);
  });

  it.each([
    [7.5, 7.5],
    ['7.5', 7.5],
    [8, 8],
    ['1e1', 10],
    [0, 0],
  ])('decimal accepts %p', (input, value) => {
    expect(one(decimal(0, 24), input)).toEqual({ value });
  });

  it.each([
    ['lots', 'float_parsing'],
    [25, 'less_than_equal'],
    [-0.5, 'greater_than_equal'],
    [[], 'float_type'],
  ])('decimal in [0, 24] rejects %p (%s)', (input, type) => {
    expect(typeOf(decimal(0, 24), input)).toBe(type);
  });

  it.each([
    ['2025-08-21T13:33:10.012Z', '2025-08-21T13:33:10.012Z'],
    ['2025-08-21T13:33:10', '2025-08-21T13:33:10Z'], // no offset: UTC
    ['2025-08-21 13:33', '2025-08-21T13:33:00Z'],
    ['2025-08-21', '2025-08-21T00:00:00Z'], // a date means midnight
    // An offset is applied: the instant in UTC (PostgreSQL refuses offsets beyond ±15:59).
    ['2025-08-21T15:33:10+0200', '2025-08-21T13:33:10Z'],
    ['2025-08-21T15:33:10.123456789-05:30', '2025-08-21T21:03:10.123456789Z'],
    ['2025-08-21T16:00:00+16:00', '2025-08-21T00:00:00Z'], // issue 27: was a 500 (22009)
    ['2025-08-21T00:00:00-18:30', '2025-08-21T18:30:00Z'],
    ['2025-08-21T00:00:00+23:59', '2025-08-20T00:01:00Z'],
    [1755783190, '2025-08-21T13:33:10.000Z'], // Unix seconds
    ['1900-01-01T00:00:00Z', '1900-01-01T00:00:00Z'],
    ['2100-12-31T23:59:59.999999Z', '2100-12-31T23:59:59.999999Z'],
  ])('timestamp accepts %p', (input, value) => {
    expect(one(timestamp(), input)).toEqual({ value });
  });

  it.each([
    ['2025-13-01T00:00:00Z', 'datetime_parsing'],
    ['2025-02-29T00:00:00Z', 'datetime_parsing'],
    ['2025-08-21T24:00:00Z', 'datetime_parsing'],
    ['yesterday', 'datetime_parsing'],
    ['21/08/2025', 'datetime_parsing'],
    // Years PostgreSQL writes as "BC" or with five digits, and JavaScript's extremes.
    ['0001-01-01T00:00:00+01:00', 'datetime_range'],
    ['9999-12-31T23:00:00-02:00', 'datetime_range'],
    ['0050-06-01T00:00:00Z', 'datetime_range'],
    ['1900-01-01T00:30:00+01:00', 'datetime_range'], // 1899-12-31 in UTC
    ['2101-01-01T00:00:00Z', 'datetime_range'],
    [8.64e15, 'datetime_range'],
    [-8.64e15, 'datetime_range'],
    [true, 'datetime_type'],
  ])('timestamp rejects %p (%s)', (input, type) => {
    expect(typeOf(timestamp(), input)).toBe(type);
  });

  it.each(['2024-02-29', '2000-02-29', '1900-01-01', '2100-12-31'])(
    'calendarDate accepts %p',
    (input) => {
      expect(one(calendarDate(), input)).toEqual({ value: input });
    },
  );

  it.each([
    ['1900-02-29', 'date_parsing'],
    ['2025-04-31', 'date_parsing'],
    ['2025-8-1', 'date_parsing'],
    ['2025-08-21T00:00:00Z', 'date_parsing'],
    ['1899-12-31', 'greater_than_equal'],
    ['2999-01-01', 'less_than_equal'],
    [20250821, 'date_type'],
  ])('calendarDate rejects %p (%s)', (input, type) => {
    expect(typeOf(calendarDate(), input)).toBe(type);
  });

  it.each([
    ['Ada@Example.COM', 'Ada@example.com'],
    ['  ada@example.com \t', 'ada@example.com'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
  ])('email accepts %p as %p (trimmed, domain lower-cased)', (input, value) => {
    expect(one(email(), input)).toEqual({ value });
  });

  it.each([
    'plain',
    '@example.com',
    'a@',
    'a@b',
    'a b@example.com',
    'a..b@example.com',
    'a@-x.com',
    'a@example.123',
    `${'a'.repeat(250)}@example.com`,
  ])('email rejects %p', (input) => {
    expect(one(email(), input).issues?.[0]).toMatchObject({
      type: 'value_error',
      msg: expect.stringMatching(/^value is not a valid email address: /),
    });
  });

  it('strings are not coerced from numbers (pydantic v2) and are bounded', () => {
    expect(typeOf(text(5), 5)).toBe('string_type');
    expect(one(text(5), 'abcdef').issues).toEqual([
      {
        type: 'string_too_long',
        loc: ['body', 'v'],
        msg: 'String should have at most 5 characters',
      },
    ]);
  });

  it.each([
    ['a NUL byte', 'bad\u0000name', 'string_nul'],
    ['a lone high surrogate', 'bad\uD800name', 'string_unicode'],
    ['a lone low surrogate', '\uDC00', 'string_unicode'],
  ])('strings with %s are refused (PostgreSQL cannot store them as sent)', (_what, input, type) => {
    for (const field of [text(100), email(), password()]) {
      expect(typeOf(field, input)).toBe(type);
    }
  });

  it('a surrogate pair (an emoji) is fine', () => {
    expect(one(text(10), 'run 🏃')).toEqual({ value: 'run 🏃' });
  });

  it('passwords: at least 8 characters for a new one, at most 72 UTF-8 bytes (bcrypt ignores the rest)', () => {
    const fresh = password(8);
    expect(typeOf(fresh, '')).toBe('string_too_short');
    expect(typeOf(fresh, 'x')).toBe('string_too_short');
    expect(typeOf(fresh, 'seven77')).toBe('string_too_short');
    expect(one(fresh, 'eight888')).toEqual({ value: 'eight888' });
    // Characters, not bytes, count toward the minimum: 8 × "é" is 16 bytes.
    expect(one(fresh, 'éééééééé')).toEqual({ value: 'éééééééé' });
    expect(one(fresh, 'a'.repeat(72))).toEqual({ value: 'a'.repeat(72) });
    expect(one(fresh, 'a'.repeat(73)).issues).toEqual([
      expect.objectContaining({
        type: 'string_too_long',
        msg: expect.stringContaining('72 bytes'),
      }),
    ]);
    // 36 two-byte characters are 72 bytes; one more is 74.
    expect(one(fresh, 'é'.repeat(36))).toEqual({ value: 'é'.repeat(36) });
    expect(typeOf(fresh, 'é'.repeat(37))).toBe('string_too_long');
    expect(typeOf(fresh, 'x'.repeat(10_000))).toBe('string_too_long');
  });

  it('optional fields: absent or null become null; required ones are "missing"', () => {
    const schema = z.object({ a: optional(text(5)), b: text(5), c: optional(integer(0, 1)) });
    expect(parseBody(schema, { a: null, b: 'x', extra: 1 })).toEqual({ a: null, b: 'x', c: null });
    expect(issuesOf(schema, { a: 'x' })).toEqual([
      { type: 'missing', loc: ['body', 'b'], msg: 'Field required' },
    ]);
  });

  it('a missing body is "missing" at ["body"]; a body that is not an object is one issue', () => {
    expect(issuesOf(registerBody, undefined)).toEqual([
      { type: 'missing', loc: ['body'], msg: 'Field required' },
    ]);
    expect(issuesOf(registerBody, [1, 2])).toEqual([
      expect.objectContaining({ type: 'model_attributes_type', loc: ['body'] }),
    ]);
  });

  it('path ids: integers only, 422 at ["path", name]', () => {
    expect(parsePathId('user_id', '42')).toBe(42);
    expect(() => parsePathId('user_id', 'abc')).toThrow(RequestValidationError);
    try {
      parsePathId('user_id', '4.2');
    } catch (error) {
      expect((error as RequestValidationError).issues).toEqual([
        expect.objectContaining({ loc: ['path', 'user_id'] }),
      ]);
    }
  });
});

describe('request bodies', () => {
  const TODAY = '2025-08-21';

  it('keep the original tests\u2019 zeros and placeholder strings valid', () => {
    expect(
      issuesOf(onboardingBody(TODAY), {
        user_id: 0,
        name: 'string',
        birthdate: TODAY,
        sex: 'string',
        height: 0,
        weight: 0,
        main_goal: 'string',
        weight_target: 0,
        deadline: TODAY,
        medical_conditions: 'string',
        sleep_hours: 0,
        work_schedule: 'string',
        percFat: 0,
        percMuscle: 0,
        injuryHist: 'string',
        expLevel: 'string',
        restrictedFoods: 'string',
        timeAvailability: 'string',
        materialAccess: 'string',
      }),
    ).toEqual([]);
    expect(
      issuesOf(foodLogBody, {
        food_name: 'string',
        serving_size: 0,
        serving_unit: 'string',
        calories: 0,
        protein: 0,
        carbs: 0,
        fats: 0,
        timestamp: '2025-08-21T13:33:10.012Z',
      }),
    ).toEqual([]);
    expect(
      issuesOf(workoutLogBody, {
        date: '2025-08-21T13:34:43.735Z',
        workout_type: 'string',
        duration: 0,
        total_distance: 0,
        avg_pace: 0,
        avg_heart_rate: 0,
        max_heart_rate: 0,
        calories_burned: 0,
        notes: 'string',
      }),
    ).toEqual([]);
  });

  it('refuse values no person has, naming each field', () => {
    const locs = (schema: z.ZodType, body: unknown) =>
      issuesOf(schema, body).map((i) => i.loc.join('.'));
    expect(
      locs(onboardingBody(TODAY), {
        height: -1,
        weight: 1_000,
        sleep_hours: 25,
        percFat: 150,
        percMuscle: -3,
        birthdate: '2999-01-01',
        deadline: '0001-01-01',
      }),
    ).toEqual([
      'body.birthdate',
      'body.height',
      'body.weight',
      'body.deadline',
      'body.sleep_hours',
      'body.percFat',
      'body.percMuscle',
    ]);
    expect(locs(foodLogBody, { food_name: 'x', calories: -500, protein: 10_000 })).toEqual([
      'body.calories',
      'body.protein',
    ]);
    expect(
      locs(workoutLogBody, { duration: -30, avg_heart_rate: 100_000, max_heart_rate: 301 }),
    ).toEqual(['body.duration', 'body.avg_heart_rate', 'body.max_heart_rate']);
  });

  it('a birthdate may be tomorrow (some time zone\u2019s today) but not later', () => {
    expect(issuesOf(onboardingBody(TODAY), { birthdate: '2025-08-22' })).toEqual([]);
    expect(issuesOf(onboardingBody(TODAY), { birthdate: '2025-08-23' })).toEqual([
      expect.objectContaining({ type: 'less_than_equal', loc: ['body', 'birthdate'] }),
    ]);
  });

  it('the token form bounds the username and the password, with no minimum for old accounts', () => {
    expect(issuesOf(tokenForm, { username: 'a@example.com', password: 'pw' })).toEqual([]);
    expect(issuesOf(tokenForm, { username: 'x'.repeat(255), password: 'x'.repeat(73) })).toEqual([
      expect.objectContaining({ type: 'string_too_long', loc: ['body', 'username'] }),
      expect.objectContaining({ type: 'string_too_long', loc: ['body', 'password'] }),
    ]);
  });
});
