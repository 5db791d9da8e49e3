/**
 * The dashboard's goals: Mifflin–St Jeor BMR, TDEE by activity level and
 * macros by goal, reproducing the original Python service to the digit,
 * including how Python's `round()` treats ties and binary doubles.
 */

/**
 * Python 3's `round(x, ndigits)` for a float: the exact binary value of `x`
 * is rounded to `ndigits` decimals, ties to even. So `pyRound(2.5) === 2`,
 * `pyRound(0.125, 2) === 0.12` (an exact tie) and `pyRound(2.675, 2) === 2.67`
 * (2.675 is stored as 2.67499999…). `Math.round` and `toFixed` differ on all
 * three.
 */
export function pyRound(x: number, ndigits = 0): number {
  if (!Number.isInteger(ndigits) || ndigits < 0 || ndigits > 300) {
    throw new RangeError(`ndigits must be a whole number from 0 to 300, got ${ndigits}`);
  }
  if (!Number.isFinite(x)) {
    if (ndigits === 0) throw new RangeError(`cannot round ${x} to an integer`);
    return x;
  }
  if (x === 0) return x;

  // x = ±mantissa · 2^exponent, exactly.
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;

  // |x| · 10^ndigits = numerator / denominator; round that to an integer, ties to even.
  const numerator = mantissa * 10n ** BigInt(ndigits);
  let rounded: bigint;
  if (exponent >= 0) {
    rounded = numerator << BigInt(exponent);
  } else {
    const denominator = 1n << BigInt(-exponent);
    const quotient = numerator / denominator;
    const twiceRemainder = 2n * (numerator % denominator);
    rounded =
      twiceRemainder > denominator || (twiceRemainder === denominator && quotient % 2n === 1n)
        ? quotient + 1n
        : quotient;
  }
  // The decimal string → nearest double, as CPython does with the rounded digits.
  const magnitude = Number(`${rounded}e-${ndigits}`);
  return x < 0 ? -magnitude : magnitude;
}

/** A calendar day, `YYYY-MM-DD`. */
export type IsoDate = string;

/** The UTC calendar day of an instant, `YYYY-MM-DD`. */
export function utcDay(instant: Date): IsoDate {
  return instant.toISOString().slice(0, 10);
}

/** Whole years from `birthdate` to `today` (both `YYYY-MM-DD`), as a birthday-aware age. */
export function ageOn(birthdate: IsoDate, today: IsoDate): number {
  const [by, bm, bd] = birthdate.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  const beforeBirthday = tm < bm || (tm === bm && td < bd);
  return ty - by - (beforeBirthday ? 1 : 0);
}

/** The onboarding fields the goals depend on (null when the user left them out). */
export interface BiometricProfile {
  readonly weight: number | null;
  readonly height: number | null;
  readonly birthdate: IsoDate | null;
  readonly sex: string | null;
  readonly work_schedule: string | null;
  readonly main_goal: string | null;
}

/** The profile cannot produce goals; the message is the API's `detail`. */
export class GoalsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoalsError';
  }
}

/** Activity factor by `work_schedule` (lower-cased). */
export const ACTIVITY_FACTORS: ReadonlyMap<string, number> = new Map([
  ['sedentary', 1.2],
  ['light', 1.375],
  ['moderate', 1.55],
  ['active', 1.725],
  ['very_active', 1.9],
]);

/** Share of energy from protein, carbohydrates and fats by `main_goal` (lower-cased). */
export const MACRO_RATIOS: ReadonlyMap<
  string,
  { readonly protein: number; readonly carbs: number; readonly fats: number }
> = new Map([
  ['maintain', { protein: 0.3, carbs: 0.4, fats: 0.3 }],
  ['lose', { protein: 0.4, carbs: 0.3, fats: 0.3 }],
  ['gain', { protein: 0.3, carbs: 0.5, fats: 0.2 }],
]);

/** Mifflin–St Jeor basal metabolic rate, kcal/day, rounded to 2 decimals. */
export function calculateBmr(profile: BiometricProfile, today: IsoDate): number {
  const { weight, height, birthdate, sex } = profile;
  if (weight === null || height === null || birthdate === null || sex === null) {
    throw new GoalsError('Missing required biometric data');
  }
  const age = ageOn(birthdate, today);
  // Same operands in the same order as the original, so the doubles match.
  let bmr: number;
  switch (sex.toLowerCase()) {
    case 'male':
      bmr = 10 * weight + 6.25 * height - 5 * age + 5;
      break;
    case 'female':
      bmr = 10 * weight + 6.25 * height - 5 * age - 161;
      break;
    default:
      throw new GoalsError("Sex must be 'male' or 'female'");
  }
  return pyRound(bmr, 2);
}

/** Total daily energy expenditure: BMR × activity factor, rounded to 2 decimals. */
export function calculateTdee(profile: BiometricProfile, today: IsoDate): number {
  if (profile.work_schedule === null) {
    throw new GoalsError('Missing work_schedule (activity level)');
  }
  const level = profile.work_schedule.toLowerCase();
  const factor = ACTIVITY_FACTORS.get(level);
  if (factor === undefined) throw new GoalsError(`Invalid activity level: ${level}`);
  return pyRound(calculateBmr(profile, today) * factor, 2);
}

export interface Macros {
  readonly protein_g: number;
  readonly carbs_g: number;
  readonly fats_g: number;
  readonly tdee: number;
  readonly goal: string;
}

/** Grams of protein and carbohydrates (4 kcal/g) and fats (9 kcal/g) for the goal. */
export function calculateMacros(profile: BiometricProfile, today: IsoDate): Macros {
  if (profile.main_goal === null) throw new GoalsError('Missing main_goal');
  const tdee = calculateTdee(profile, today);
  const goal = profile.main_goal.toLowerCase();
  const ratios = MACRO_RATIOS.get(goal);
  if (ratios === undefined) throw new GoalsError(`Invalid goal: ${goal}`);
  return {
    protein_g: pyRound((tdee * ratios.protein) / 4),
    carbs_g: pyRound((tdee * ratios.carbs) / 4),
    fats_g: pyRound((tdee * ratios.fats) / 9),
    tdee: pyRound(tdee),
    goal,
  };
}

export interface Goals {
  readonly bmr: number;
  readonly tdee: number;
  readonly macros: Macros;
}

/** The dashboard's `goals`, checked in the original's order (biometrics, activity, goal). */
export function calculateGoals(profile: BiometricProfile, today: IsoDate): Goals {
  const bmr = calculateBmr(profile, today);
  const tdee = calculateTdee(profile, today);
  const macros = calculateMacros(profile, today);
  return { bmr, tdee, macros };
}
