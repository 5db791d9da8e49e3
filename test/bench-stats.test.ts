/**
 * The bench's same-run ratios (`pnpm bench`, bench/README.md): the goals are
 * judged on them, so drift of the machine between rounds must not move them.
 */
import { ratio } from '../tools/bench/stats';

describe('bench ratio', () => {
  it('is the median of ratios of samples taken side by side, not the ratio of the medians', () => {
    // The machine slows in round 2 and both measurements with it; round 3 is a real difference.
    const dashboard = [100, 60, 90];
    const health = [50, 30, 60];
    expect(ratio(dashboard, health)).toEqual({ value: 2, min: 1.5, max: 2 });
  });

  it('refuses samples that are not paired', () => {
    expect(() => ratio([1, 2, 3], [1, 2])).toThrow(
      'a ratio needs paired samples (got 3 against 2)',
    );
  });
});
