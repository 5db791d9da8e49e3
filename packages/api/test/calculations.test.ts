/**
 * The dashboard's arithmetic, to the digit: Python's round() (ties to even,
 * on the binary double), ages, and BMR/TDEE/macros on worked examples; then
 * the same functions against CPython itself on thousands of inputs.
 */
import { spawnSync } from 'node:child_process';
import {
  ageOn,
  calculateBmr,
  calculateGoals,
  calculateMacros,
  calculateTdee,
  GoalsError,
  pyRound,
  type BiometricProfile,
} from '@fittech/api';

const python = (() => {
  const probe = spawnSync('python3', ['-c', 'import sys; print(sys.version_info[0])'], {
    encoding: 'utf8',
  });
  return probe.status === 0 && probe.stdout.trim() === '3' ? 'python3' : undefined;
})();

describe('pyRound (Python 3 round())', () => {
  it.each([
    [2.5, 0, 2],
    [3.5, 0, 4],
    [0.5, 0, 0],
    [-2.5, 0, -2],
    [2.500001, 0, 3],
    [0.125, 2, 0.12], // exact tie, 2 is even
    [0.375, 2, 0.38], // exact tie, 8 is even
    [2063.625, 2, 2063.62],
    [2063.875, 2, 2063.88],
    [-0.125, 2, -0.12],
    [2.675, 2, 2.67], // 2.675 is 2.67499999999999982236431605997495353221893310546875
    [1.005, 2, 1], // 1.00499999999999989341858963598497211933135986328125
    [1780.96875, 2, 1780.97],
    [1e22, 2, 1e22],
    [5e-324, 2, 0],
  ])('round(%p, %p) == %p', (x, digits, expected) => {
    expect(pyRound(x, digits)).toBe(expected);
  });

  it('differs from Math.round exactly on the ties', () => {
    expect([pyRound(1.5), pyRound(2.5), Math.round(1.5), Math.round(2.5)]).toEqual([2, 2, 2, 3]);
  });

  it('refuses to round infinity to an integer, as Python does', () => {
    expect(() => pyRound(Infinity)).toThrow(RangeError);
    expect(pyRound(Infinity, 2)).toBe(Infinity);
  });
});

describe('ageOn', () => {
  it.each([
    ['1990-08-21', '2025-08-21', 35], // birthday today
    ['1990-08-22', '2025-08-21', 34], // tomorrow
    ['1990-12-31', '2025-01-01', 34],
    ['2000-02-29', '2025-02-28', 24],
    ['2000-02-29', '2025-03-01', 25],
    ['2025-08-21', '2025-08-21', 0],
  ])('born %s, on %s: %i', (birthdate, today, age) => {
    expect(ageOn(birthdate, today)).toBe(age);
  });
});

const profile = (p: Partial<BiometricProfile>): BiometricProfile => ({
  weight: 70,
  height: 175,
  birthdate: '1990-01-01',
  sex: 'male',
  work_schedule: 'moderate',
  main_goal: 'maintain',
  ...p,
});

describe('goals, worked examples', () => {
  const TODAY = '2025-08-21';

  it('male, 80 kg, 180 cm, 30 years, moderate, gain', () => {
    const p = profile({
      weight: 80,
      height: 180,
      birthdate: '1995-01-10',
      work_schedule: 'moderate',
      main_goal: 'gain',
    });
    // 800 + 1125 − 150 + 5 = 1780; × 1.55 = 2759.0
    expect(calculateBmr(p, TODAY)).toBe(1780);
    expect(calculateTdee(p, TODAY)).toBe(2759);
    // 2759·0.3/4 = 206.925 → 207; 2759·0.5/4 = 344.875 → 345; 2759·0.2/9 = 61.31 → 61
    expect(calculateMacros(p, TODAY)).toEqual({
      protein_g: 207,
      carbs_g: 345,
      fats_g: 61,
      tdee: 2759,
      goal: 'gain',
    });
  });

  it('a TDEE on an exact .xx5 tie rounds to the even cent (2061.125 → 2061.12, not .13)', () => {
    // female, 71 kg, 176 cm, 30: 710 + 1100 − 150 − 161 = 1499; × 1.375 = 2061.125 exactly
    const p = profile({
      sex: 'female',
      weight: 71,
      height: 176,
      birthdate: '1995-01-10',
      work_schedule: 'light',
    });
    expect(calculateBmr(p, TODAY)).toBe(1499);
    expect(calculateTdee(p, TODAY)).toBe(2061.12);
    expect(calculateMacros(p, TODAY)).toEqual({
      protein_g: 155,
      carbs_g: 206,
      fats_g: 69,
      tdee: 2061,
      goal: 'maintain',
    });
  });

  it('macros.tdee on an exact .5 tie rounds to the even integer (2062.5 → 2062)', () => {
    // male, 55 kg, 176 cm, 31: 550 + 1100 − 155 + 5 = 1500; × 1.375 = 2062.5
    const p = profile({ weight: 55, height: 176, birthdate: '1994-01-10', work_schedule: 'light' });
    expect(calculateTdee(p, TODAY)).toBe(2062.5);
    expect(calculateMacros(p, TODAY).tdee).toBe(2062);
  });

  it('sex, activity and goal are case-insensitive; the goal is reported lower-cased', () => {
    const p = profile({ sex: 'MALE', work_schedule: 'Very_Active', main_goal: 'Lose' });
    expect(calculateGoals(p, TODAY).macros.goal).toBe('lose');
  });

  it.each([
    [{ weight: null }, 'Missing required biometric data'],
    [{ birthdate: null }, 'Missing required biometric data'],
    [{ sex: 'x' }, "Sex must be 'male' or 'female'"],
    [{ work_schedule: null }, 'Missing work_schedule (activity level)'],
    [{ work_schedule: 'Lazy' }, 'Invalid activity level: lazy'],
    [{ main_goal: null }, 'Missing main_goal'],
    [{ main_goal: 'Cut' }, 'Invalid goal: cut'],
    // Checked in the original's order: biometrics before activity before goal.
    [{ sex: 'x', work_schedule: null, main_goal: null }, "Sex must be 'male' or 'female'"],
  ])('%p → %s', (change, message) => {
    expect(() => calculateGoals(profile(change), TODAY)).toThrow(new GoalsError(message));
  });
});

const describePython = python ? describe : describe.skip;
describePython(`against CPython${python ? '' : ' (skipped: python3 is not installed)'}`, () => {
  /** Deterministic pseudo-random numbers (mulberry32), so a failure can be replayed. */
  const random = (() => {
    let seed = 0x5eed;
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  })();
  const runPython = (script: string, input: unknown): unknown => {
    const result = spawnSync(python!, ['-c', script], {
      input: JSON.stringify(input),
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(result.stderr);
    return JSON.parse(result.stdout);
  };

  it('pyRound agrees with round() on 20 000 values, ties included', () => {
    const cases: [number, number][] = [];
    for (let i = 0; i < 10_000; i += 1) {
      // Multiples of 1/8 and 1/32 put many values exactly on ties.
      cases.push([Math.round((random() - 0.5) * 1e6) / 8, Math.floor(random() * 3)]);
      cases.push([(random() - 0.5) * 10 ** Math.floor(random() * 12), Math.floor(random() * 4)]);
    }
    const script =
      'import json,sys\nprint(json.dumps([round(x, d) for x, d in json.load(sys.stdin)]))';
    const expected = runPython(script, cases) as number[];
    const mismatches = cases.filter(([x, d], i) => pyRound(x, d) !== expected[i]);
    expect(mismatches).toEqual([]);
  });

  it('calculateGoals agrees with the formulas evaluated by CPython on 3 000 profiles', () => {
    const today = '2025-08-21';
    const sexes = ['male', 'female', 'Male'];
    const levels = ['sedentary', 'light', 'moderate', 'active', 'very_active'];
    const goals = ['maintain', 'lose', 'gain'];
    const profiles: BiometricProfile[] = [];
    for (let i = 0; i < 3_000; i += 1) {
      const year = 1940 + Math.floor(random() * 70);
      const month = 1 + Math.floor(random() * 12);
      const day = 1 + Math.floor(random() * 28);
      profiles.push({
        weight: 35 + Math.floor(random() * 130),
        height: 130 + Math.floor(random() * 80),
        birthdate: `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`,
        sex: sexes[i % 3]!,
        work_schedule: levels[i % 5]!,
        main_goal: goals[i % 3]!,
      });
    }
    // The formulas of the issue, written out in Python: the reference.
    const script = `
import json, sys
from datetime import date
today = date(2025, 8, 21)
factors = {"sedentary": 1.2, "light": 1.375, "moderate": 1.55, "active": 1.725, "very_active": 1.9}
ratios = {"maintain": (0.3, 0.4, 0.3), "lose": (0.4, 0.3, 0.3), "gain": (0.3, 0.5, 0.2)}
out = []
for p in json.load(sys.stdin):
    b = date.fromisoformat(p["birthdate"])
    age = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    w, h = p["weight"], p["height"]
    s = p["sex"].lower()
    bmr = 10 * w + 6.25 * h - 5 * age + (5 if s == "male" else -161)
    bmr = round(bmr, 2)
    tdee = round(bmr * factors[p["work_schedule"]], 2)
    pr, cr, fr = ratios[p["main_goal"]]
    out.append({"bmr": bmr, "tdee": tdee, "macros": {"protein_g": round(tdee * pr / 4),
      "carbs_g": round(tdee * cr / 4), "fats_g": round(tdee * fr / 9), "tdee": round(tdee),
      "goal": p["main_goal"]}})
print(json.dumps(out))`;
    const expected = runPython(script, profiles) as unknown[];
    const actual = profiles.map((p) => calculateGoals(p, today));
    const mismatches = actual
      .map((goals, i) => ({ profile: profiles[i], goals, expected: expected[i] }))
      .filter((c) => JSON.stringify(c.goals) !== JSON.stringify(c.expected));
    expect(mismatches).toEqual([]);
  });
});
