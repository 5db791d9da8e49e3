import { z } from 'zod';

/**
 * What the platform promises (service-level objectives) and whom it tells when
 * the promise is at risk. The chart's PrometheusRule (burn-rate alerts) and
 * the Terraform's CloudWatch alarms (SNS subscriptions) both read this section,
 * so an SLO is written once.
 */

/**
 * The upper bounds (seconds) of the API's request-duration histogram buckets.
 * The latency SLI counts requests slower than the goal from the bucket whose
 * bound is the goal, so the goal must be one of these: a goal between two
 * bounds would be silently rounded by whoever reads the histogram. The API's
 * histogram (`fittech_http_request_duration_seconds`) uses the same bounds; a
 * root-level drift test holds the two together.
 */
export const HTTP_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/**
 * The multi-window, multi-burn-rate alerts of the Google SRE workbook (chapter
 * "Alerting on SLOs", table 5-8): each consumes `budgetSpent` of the error
 * budget within `long`, confirmed by `short` (a twelfth of it) so the alert
 * resets soon after the burn stops. The burn-rate factor follows from the SLO
 * window: budgetSpent × window / long (14.4, 6, 3, 1 for 30 days).
 */
export const BURN_RATE_WINDOWS = [
  { long: '1h', short: '5m', longHours: 1, budgetSpent: 0.02, severity: 'page' },
  { long: '6h', short: '30m', longHours: 6, budgetSpent: 0.05, severity: 'page' },
  { long: '1d', short: '2h', longHours: 24, budgetSpent: 0.1, severity: 'ticket' },
  { long: '3d', short: '6h', longHours: 72, budgetSpent: 0.1, severity: 'ticket' },
] as const;

export type BurnRateWindow = (typeof BURN_RATE_WINDOWS)[number];

/** The burn-rate factor of a window for an SLO window of `windowDays` days. */
export function burnRateFactor(window: BurnRateWindow, windowDays: number): number {
  return Number(((window.budgetSpent * windowDays * 24) / window.longHours).toFixed(4));
}

const ratio = (what: string) =>
  z
    .number({ message: `must be a number: ${what}` })
    .gt(0, { message: 'must be above 0 (a ratio such as 0.999)' })
    .lt(1, { message: 'must be below 1 (a ratio such as 0.999): 1 leaves no error budget' });

const email = z
  .string()
  .max(254)
  .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, {
    message: 'must be an e-mail address such as "ops@example.com"',
  });

/** An SNS subscription other than e-mail: the protocol decides what the endpoint must look like. */
const subscription = z.discriminatedUnion('protocol', [
  z.strictObject({
    protocol: z.literal('https'),
    endpoint: z.string().regex(/^https:\/\/[^\s]+$/, {
      message: 'must be an https:// URL (SNS confirms the subscription there)',
    }),
  }),
  z.strictObject({
    protocol: z.literal('sqs'),
    endpoint: z.string().regex(/^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]{1,80}(\.fifo)?$/, {
      message: 'must be an SQS queue ARN such as "arn:aws:sqs:us-east-1:123456789012:alerts"',
    }),
  }),
  z.strictObject({
    protocol: z.literal('lambda'),
    endpoint: z
      .string()
      .regex(/^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[\w-]{1,64}(:[\w$-]+)?$/, {
        message:
          'must be a Lambda function ARN such as "arn:aws:lambda:us-east-1:123456789012:function:pager"',
      }),
  }),
]);

export const observabilitySchema = z
  .strictObject({
    slo: z
      .strictObject({
        /** Ratio of requests answered without a 5xx status over the window. */
        availability: ratio('the ratio of requests not answered with a 5xx').default(0.999),
        latency: z
          .strictObject({
            /**
             * The goal, seconds: must be a bucket bound of the API's request-duration
             * histogram (HTTP_DURATION_BUCKETS).
             */
            thresholdSeconds: z.number().positive().default(0.5),
            /** Ratio of requests answered within thresholdSeconds (0.99: the p99 is under the goal). */
            target: ratio('the ratio of requests answered within the latency goal').default(0.99),
          })
          .prefault({}),
        /** The SLO window, days: the burn-rate factors follow from it (14.4/6/3/1 for 30). */
        windowDays: z.number().int().min(7).max(90).default(30),
      })
      .prefault({}),
    alerts: z
      .strictObject({
        /** Container restarts of one API pod within 15 minutes that raise an alert. */
        podRestarts: z.number().int().min(1).default(3),
        /** Cache hit ratio (over 30 minutes) below which an alert is raised; 0 disables it. */
        cacheHitRatio: z.number().min(0).lt(1).default(0.5),
        /** Share of a replica's database pool in use (for 10 minutes) that raises an alert. */
        databasePoolSaturation: z.number().gt(0).max(1).default(0.9),
        /**
         * Absolute URL of the runbook (docs/runbooks.md); each alert links to its section
         * (`<url>#<alert name in lower case>`).
         */
        runbookUrl: z
          .string()
          .regex(/^https?:\/\/[^\s#]+$/, {
            message:
              'must be an absolute http(s) URL without a fragment, e.g. "https://github.com/acme/platform/blob/main/docs/runbooks.md"',
          })
          .default('https://github.com/fittech/fittech-platform/blob/main/docs/runbooks.md'),
      })
      .prefault({}),
    alarms: z
      .strictObject({
        /** E-mail addresses subscribed to the alarm topic (each confirms by mail). */
        emails: z.array(email).default([]),
        /** Other subscriptions of the alarm topic (https, sqs, lambda). */
        subscriptions: z.array(subscription).default([]),
        /** RDS CPUUtilization, percent, above which (3 × 5 minutes) the alarm fires. */
        databaseCpuPercent: z.number().gt(0).max(100).default(80),
        /** RDS FreeStorageSpace below this share of the allocated storage fires the alarm. */
        databaseFreeStorageRatio: z.number().gt(0).lt(1).default(0.1),
        /** RDS FreeableMemory below this, MiB, fires the alarm. */
        databaseFreeableMemoryMiB: z.number().int().min(1).default(64),
        /**
         * RDS DatabaseConnections above this fires the alarm. Default: the most the API can
         * open (`apiDatabaseConnections`: pods at the autoscaling maximum plus surge, each
         * with its pool and two more, plus the migration Job).
         */
        databaseConnections: z.number().int().min(1).optional(),
      })
      .prefault({}),
  })
  .prefault({});

export type ObservabilityConfig = z.output<typeof observabilitySchema>;

/** A problem of the observability section the schema alone cannot see. */
export interface ObservabilityProblem {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

/** Rules across the section's fields, checked after the schema. */
export function observabilityProblems(o: ObservabilityConfig): ObservabilityProblem[] {
  const problems: ObservabilityProblem[] = [];
  const { slo } = o;
  if (!(HTTP_DURATION_BUCKETS as readonly number[]).includes(slo.latency.thresholdSeconds)) {
    problems.push({
      path: 'observability.slo.latency.thresholdSeconds',
      value: slo.latency.thresholdSeconds,
      message: `must be a bucket bound of the API's request-duration histogram (${HTTP_DURATION_BUCKETS.join(', ')}): the latency SLI counts the requests above that bound`,
    });
  }
  // The fastest alert fires at factor × budget; at 100 % or more it never can.
  const fastest = BURN_RATE_WINDOWS[0];
  const factor = burnRateFactor(fastest, slo.windowDays);
  for (const [path, target] of [
    ['observability.slo.availability', slo.availability],
    ['observability.slo.latency.target', slo.latency.target],
  ] as const) {
    const threshold = factor * (1 - target);
    if (threshold >= 1) {
      problems.push({
        path,
        value: target,
        message: `leaves an error budget so large that the ${fastest.long} burn-rate alert (${factor} × budget = ${(threshold * 100).toFixed(1)} % bad requests) can never fire; choose at least ${(1 - 1 / factor).toFixed(4)}, or a shorter slo.windowDays`,
      });
    }
  }
  return problems;
}
