import type { z } from 'zod';

/**
 * FastAPI's (pydantic's) validation error shape, which the original service's
 * clients read: 422 `{"detail": [{"type", "loc", "msg"}, ...]}`, one entry per
 * offending field, e.g. `{"type":"missing","loc":["body","email"],"msg":"Field required"}`.
 * Inputs are never echoed back: they may be passwords.
 */
export interface ValidationIssue {
  readonly type: string;
  readonly loc: readonly (string | number)[];
  readonly msg: string;
}

/** Thrown by route handlers and body readers; rendered as 422. */
export class RequestValidationError extends Error {
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(`Invalid request: ${issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; ')}`);
    this.name = 'RequestValidationError';
  }
}

/** What the field builders attach to the issues they raise themselves (`ctx.addIssue`). */
export interface IssueParams {
  /** pydantic's error type, e.g. `int_parsing`. */
  readonly type: string;
}

/**
 * One zod issue in pydantic's words. Issues raised by the field builders carry
 * their pydantic type; zod's own (ranges, lengths, object shape) are mapped.
 */
function describe(issue: z.core.$ZodIssue): { type: string; msg: string } {
  switch (issue.code) {
    case 'custom': {
      const params = issue.params as Partial<IssueParams> | undefined;
      return { type: params?.type ?? 'value_error', msg: issue.message };
    }
    case 'invalid_type':
      if (issue.input === undefined) return { type: 'missing', msg: 'Field required' };
      if (issue.expected === 'object') {
        return {
          type: 'model_attributes_type',
          msg: 'Input should be a valid dictionary or object to extract fields from',
        };
      }
      if (issue.expected === 'string') {
        return { type: 'string_type', msg: 'Input should be a valid string' };
      }
      return { type: `${issue.expected}_type`, msg: `Input should be a valid ${issue.expected}` };
    case 'too_small':
      return issue.origin === 'string'
        ? {
            type: 'string_too_short',
            msg: `String should have at least ${String(issue.minimum)} characters`,
          }
        : {
            type: 'greater_than_equal',
            msg: `Input should be greater than or equal to ${String(issue.minimum)}`,
          };
    case 'too_big':
      return issue.origin === 'string'
        ? {
            type: 'string_too_long',
            msg: `String should have at most ${String(issue.maximum)} characters`,
          }
        : {
            type: 'less_than_equal',
            msg: `Input should be less than or equal to ${String(issue.maximum)}`,
          };
    default:
      return { type: 'value_error', msg: issue.message };
  }
}

/** zod's issues as FastAPI's `detail`, each `loc` starting with `where` (`body`, `path`). */
export function toValidationIssues(
  issues: readonly z.core.$ZodIssue[],
  where: 'body' | 'path',
): ValidationIssue[] {
  return issues.map((issue) => {
    const { type, msg } = describe(issue);
    const loc = [where, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    return { type, loc, msg };
  });
}
