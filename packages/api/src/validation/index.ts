export {
  RequestValidationError,
  toValidationIssues,
  type IssueParams,
  type ValidationIssue,
} from './issues';
export {
  calendarDate,
  decimal,
  email,
  integer,
  optional,
  password,
  text,
  timestamp,
  EARLIEST_DAY,
  LATEST_DAY,
  PASSWORD_MAX_BYTES,
  PASSWORD_MIN_CHARACTERS,
} from './fields';
export {
  foodLogBody,
  onboardingBody,
  parseBody,
  parsePathId,
  registerBody,
  tokenForm,
  workoutLogBody,
  type FoodLogBody,
  type OnboardingBody,
  type RegisterBody,
  type TokenForm,
  type WorkoutLogBody,
} from './requests';
