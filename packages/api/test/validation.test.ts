/** Request validation: pydantic's lax coercions and FastAPI's 422 shape. */
import { normalizeEmail, validateBody } from '@fittech/api';

const one = (kind: 'int' | 'float' | 'date' | 'datetime' | 'email' | 'str', input: unknown) =>
  validateBody({ v: input }, { v: { kind } });

describe('validateBody', () => {
  it.each([
    [3, 3],
    ['3', 3],
    [' -7 ', -7],
    [70.0, 70],
  ])('int accepts %p as %p', (input, value) => {
    expect(one('int', input)).toEqual({ value: { v: value }, issues: [] });
  });

  it.each([
    [1.5, 'int_from_float'],
    ['1.5', 'int_parsing'],
    ['abc', 'int_parsing'],
    [true, 'int_type'],
    [2 ** 31, 'int_range'],
  ])('int rejects %p (%s)', (input, type) => {
    expect(one('int', input).issues).toEqual([
      expect.objectContaining({ type, loc: ['body', 'v'] }),
    ]);
  });

  it.each([
    [7.5, 7.5],
    ['7.5', 7.5],
    [8, 8],
    ['1e3', 1000],
  ])('float accepts %p', (input, value) => {
    expect(one('float', input).value.v).toBe(value);
  });

  it('float rejects words', () => {
    expect(one('float', 'lots').issues[0]!.type).toBe('float_parsing');
  });

  it.each([
    ['2025-08-21T13:33:10.012Z', '2025-08-21T13:33:10.012Z'],
    ['2025-08-21T13:33:10', '2025-08-21T13:33:10Z'], // no offset: UTC
    ['2025-08-21 13:33', '2025-08-21T13:33:00Z'],
    ['2025-08-21', '2025-08-21T00:00:00Z'], // a date means midnight
    ['2025-08-21T15:33:10+0200', '2025-08-21T15:33:10+0200'],
    ['2025-08-21T15:33:10.123456789-05:30', '2025-08-21T15:33:10.123456789-05:30'],
    [1755783190, '2025-08-21T13:33:10.000Z'], // Unix seconds
  ])('datetime accepts %p', (input, value) => {
    expect(one('datetime', input)).toEqual({ value: { v: value }, issues: [] });
  });

  it.each([
    '2025-13-01T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2025-08-21T24:00:00Z',
    'yesterday',
    '21/08/2025',
  ])('datetime rejects %p', (input) => {
    expect(one('datetime', input).issues[0]!.type).toBe('datetime_parsing');
  });

  it.each(['2024-02-29', '2000-02-29'])('date accepts the leap day %p', (input) => {
    expect(one('date', input).issues).toEqual([]);
  });

  it.each(['1900-02-29', '2025-04-31', '2025-8-1', '2025-08-21T00:00:00Z'])(
    'date rejects %p',
    (input) => {
      expect(one('date', input).issues[0]!.type).toBe('date_parsing');
    },
  );

  it.each([
    ['Ada@Example.COM', 'Ada@example.com'],
    ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
  ])('email accepts %p and lower-cases the domain only', (input, value) => {
    expect(one('email', input).value.v).toBe(value);
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
  ])('email rejects %p', (input) => {
    expect(one('email', input).issues[0]).toMatchObject({
      type: 'value_error',
      msg: expect.stringMatching(/^value is not a valid email address: /),
    });
  });

  it('strings are not coerced from numbers (pydantic v2)', () => {
    expect(one('str', 5).issues[0]!.type).toBe('string_type');
  });

  it('null is "absent" for optional fields and "missing" for required ones; unknown fields are ignored', () => {
    const result = validateBody(
      { a: null, extra: 1 },
      { a: { kind: 'str' }, b: { kind: 'str', required: true }, c: { kind: 'int' } },
    );
    expect(result.value).toEqual({ a: null, b: null, c: null });
    expect(result.issues).toEqual([{ type: 'missing', loc: ['body', 'b'], msg: 'Field required' }]);
  });

  it('a body that is not an object is one issue at ["body"]', () => {
    expect(validateBody([1, 2], { a: { kind: 'str' } }).issues).toEqual([
      expect.objectContaining({ type: 'model_attributes_type', loc: ['body'] }),
    ]);
    expect(validateBody(undefined, { a: { kind: 'str' } }).issues).toEqual([
      { type: 'missing', loc: ['body'], msg: 'Field required' },
    ]);
  });
});

describe('normalizeEmail', () => {
  it('keeps the local part as typed (it may be case-sensitive) and lower-cases the domain', () => {
    expect(normalizeEmail('John.Doe@GMAIL.com')).toBe('John.Doe@gmail.com');
  });
});
