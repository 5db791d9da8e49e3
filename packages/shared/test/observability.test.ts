import {
  BURN_RATE_WINDOWS,
  ConfigError,
  burnRateFactor,
  resolveConfig,
  type ConfigProblem,
} from '../src';

function problemsOf(overrides: Record<string, unknown>): ConfigProblem[] {
  try {
    resolveConfig({ overrides });
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('observability settings', () => {
  it('documents its defaults: 99.9 % non-5xx, 99 % within 500 ms, over 30 days, no subscriber', () => {
    const o = resolveConfig().observability;
    expect(o.slo).toEqual({
      availability: 0.999,
      latency: { thresholdSeconds: 0.5, target: 0.99 },
      windowDays: 30,
    });
    expect(o.alarms.emails).toEqual([]);
    expect(o.alarms.subscriptions).toEqual([]);
  });

  it("gives the SRE workbook's burn-rate factors for a 30-day window, scaled for others", () => {
    expect(BURN_RATE_WINDOWS.map((w) => burnRateFactor(w, 30))).toEqual([14.4, 6, 3, 1]);
    expect(BURN_RATE_WINDOWS.map((w) => burnRateFactor(w, 7))).toEqual([3.36, 1.4, 0.7, 0.2333]);
  });

  it.each([
    [{ slo: { availability: 1 } }, 'observability.slo.availability', /below 1/],
    [{ slo: { availability: '99.9' } }, 'observability.slo.availability', /must be a number/],
    // 14.4 × 10 % budget = 144 % errors: the 1h page could never fire.
    [
      { slo: { availability: 0.9 } },
      'observability.slo.availability',
      /can never fire; choose at least 0.9306/,
    ],
    [
      { slo: { latency: { thresholdSeconds: 0.3 } } },
      'observability.slo.latency.thresholdSeconds',
      /bucket bound .*0.25, 0.5/,
    ],
    [{ slo: { windowDays: 3 } }, 'observability.slo.windowDays', /.+/],
    [
      { alarms: { emails: ['ops at example.com'] } },
      'observability.alarms.emails.0',
      /e-mail address/,
    ],
    [
      { alarms: { subscriptions: [{ protocol: 'sqs', endpoint: 'https://sqs.example.com/q' }] } },
      'observability.alarms.subscriptions.0.endpoint',
      /SQS queue ARN/,
    ],
    [
      { alerts: { runbookUrl: 'docs/runbooks.md' } },
      'observability.alerts.runbookUrl',
      /absolute http/,
    ],
  ])('refuses %j at %s, saying why', (observability, path, message) => {
    expect(problemsOf({ observability })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path, message: expect.stringMatching(message) }),
      ]),
    );
  });

  it('accepts e-mail, https, sqs and lambda subscribers', () => {
    const alarms = {
      emails: ['ops@example.com'],
      subscriptions: [
        { protocol: 'https', endpoint: 'https://hooks.example.com/sns' },
        { protocol: 'sqs', endpoint: 'arn:aws:sqs:us-east-1:111122223333:alerts' },
        { protocol: 'lambda', endpoint: 'arn:aws:lambda:us-east-1:111122223333:function:pager' },
      ],
    };
    expect(
      resolveConfig({ overrides: { observability: { alarms } } }).observability.alarms,
    ).toMatchObject(alarms);
  });
});
