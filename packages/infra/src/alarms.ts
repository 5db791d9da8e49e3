import { Construct } from 'constructs';
import { Fn, TerraformIterator } from 'cdktf';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DataAwsLbs } from '@cdktf/provider-aws/lib/data-aws-lbs';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import { type AwsContext, policyDocument, servicePrincipal } from './aws-context';

/** A subscriber of the alarm topic. */
export interface AlarmSubscription {
  readonly protocol: 'email' | 'https' | 'sqs' | 'lambda';
  readonly endpoint: string;
}

export interface AlarmsProps {
  readonly aws: AwsContext;
  /** The SNS topic's name (and the alias of its KMS key). */
  readonly topicName: string;
  /** Prefix of every alarm's name (the cluster's name). */
  readonly prefix: string;
  /** Who is told. @default - nobody (the alarms still show in the console) */
  readonly subscriptions?: readonly AlarmSubscription[];
  readonly database: {
    /** The RDS instance identifier (the alarms' DBInstanceIdentifier dimension). */
    readonly identifier: string;
    readonly allocatedStorageGiB: number;
    /** CPUUtilization above which (3 × 5 minutes) the alarm fires, percent. */
    readonly cpuPercent: number;
    /** FreeStorageSpace below this share of the allocated storage fires it. */
    readonly freeStorageRatio: number;
    /** FreeableMemory below this (3 × 5 minutes) fires it, MiB. */
    readonly freeableMemoryMiB: number;
    /** DatabaseConnections above this (2 × 5 minutes) fires it. */
    readonly maxConnections: number;
  };
  /**
   * The tags the Kubernetes Service controller puts on the NLB it creates for the API's
   * Service (the NLB is not Terraform's: it appears after the first `helm install`).
   */
  readonly loadBalancerTags: Readonly<Record<string, string>>;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/**
 * CloudWatch alarms of one environment and the SNS topic they publish to.
 *
 * The topic is encrypted with a KMS key of its own whose policy lets CloudWatch
 * publish (a topic under the AWS managed key `alias/aws/sns` cannot receive
 * alarms: CloudWatch may not use that key). Every alarm notifies on ALARM and
 * on OK, so a recovery is seen too.
 *
 * RDS: CPUUtilization, FreeStorageSpace, FreeableMemory, DatabaseConnections
 * of the instance, by identifier.
 *
 * The NLB is created by the Kubernetes Service controller, after Terraform ran,
 * under a generated name: its CloudWatch dimension (`net/<name>/<id>`) cannot
 * be known when the stack is written. `data "aws_lbs"` finds it by the tags the
 * controller puts on it (the Service's namespace/name and the cluster), and each
 * load balancer found gets its two alarms. On the very first apply nothing is
 * found (the Service does not exist yet); the pipeline applies Terraform on
 * every deploy, so the next deploy creates them, and they follow a replaced NLB.
 * UnHealthyHostCount and HealthyHostCount are per target group (one per
 * listener): a Metrics Insights query aggregates them for the load balancer
 * (the most unhealthy hosts; the fewest healthy hosts of any listener).
 */
export class Alarms extends Construct {
  readonly key: KmsKey;
  readonly topic: SnsTopic;
  readonly database: CloudwatchMetricAlarm[];
  readonly loadBalancer: CloudwatchMetricAlarm[];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { aws } = props;
    const policy = policyDocument(this, 'key_policy', [
      {
        sid: 'AccountAdministersKeyThroughIam',
        effect: 'Allow',
        actions: ['kms:*'],
        resources: ['*'],
        principals: [
          { type: 'AWS', identifiers: [`arn:${aws.partition}:iam::${aws.accountId}:root`] },
        ],
      },
      {
        sid: 'CloudWatchPublishesAlarms',
        effect: 'Allow',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        principals: [{ type: 'Service', identifiers: [servicePrincipal(aws, 'cloudwatch')] }],
        condition: [
          { test: 'StringEquals', variable: 'aws:SourceAccount', values: [aws.accountId] },
        ],
      },
    ]);
    this.key = new KmsKey(this, 'key', {
      description: `${props.topicName}: the CloudWatch alarms' SNS topic`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: policy.json,
    });
    new KmsAlias(this, 'key_alias', {
      name: `alias/${props.topicName}`,
      targetKeyId: this.key.keyId,
    });
    this.topic = new SnsTopic(this, 'topic', {
      name: props.topicName,
      kmsMasterKeyId: this.key.arn,
    });
    (props.subscriptions ?? []).forEach((s, i) => {
      new SnsTopicSubscription(this, `subscription_${i}`, {
        topicArn: this.topic.arn,
        protocol: s.protocol,
        endpoint: s.endpoint,
      });
    });
    const actions = { alarmActions: [this.topic.arn], okActions: [this.topic.arn] };

    const db = props.database;
    const rds = (
      name: string,
      metricName: string,
      description: string,
      condition: Pick<
        ConstructorParameters<typeof CloudwatchMetricAlarm>[2],
        'comparisonOperator' | 'threshold' | 'statistic' | 'evaluationPeriods'
      >,
    ) =>
      new CloudwatchMetricAlarm(this, `db_${name.replace(/-/g, '_')}`, {
        alarmName: `${props.prefix}-db-${name}`,
        alarmDescription: description,
        namespace: 'AWS/RDS',
        metricName,
        dimensions: { DBInstanceIdentifier: db.identifier },
        period: 300,
        treatMissingData: 'missing',
        ...condition,
        ...actions,
      });
    this.database = [
      rds(
        'cpu',
        'CPUUtilization',
        `RDS ${db.identifier}: CPU above ${db.cpuPercent} % for 15 minutes.`,
        {
          statistic: 'Average',
          comparisonOperator: 'GreaterThanThreshold',
          threshold: db.cpuPercent,
          evaluationPeriods: 3,
        },
      ),
      rds(
        'free-storage',
        'FreeStorageSpace',
        `RDS ${db.identifier}: less than ${db.freeStorageRatio * 100} % of its ${db.allocatedStorageGiB} GiB free.`,
        {
          statistic: 'Minimum',
          comparisonOperator: 'LessThanThreshold',
          threshold: Math.round(db.freeStorageRatio * db.allocatedStorageGiB * GiB),
          evaluationPeriods: 1,
        },
      ),
      rds(
        'freeable-memory',
        'FreeableMemory',
        `RDS ${db.identifier}: less than ${db.freeableMemoryMiB} MiB of freeable memory for 15 minutes.`,
        {
          statistic: 'Average',
          comparisonOperator: 'LessThanThreshold',
          threshold: db.freeableMemoryMiB * MiB,
          evaluationPeriods: 3,
        },
      ),
      rds(
        'connections',
        'DatabaseConnections',
        `RDS ${db.identifier}: more than ${db.maxConnections} connections (more than the API opens at its autoscaling maximum) for 10 minutes.`,
        {
          statistic: 'Maximum',
          comparisonOperator: 'GreaterThanThreshold',
          threshold: db.maxConnections,
          evaluationPeriods: 2,
        },
      ),
    ];

    const found = new DataAwsLbs(this, 'load_balancers', { tags: { ...props.loadBalancerTags } });
    const each = TerraformIterator.fromList(found.arns);
    // arn:…:loadbalancer/net/<name>/<id> → net/<name>/<id>, the LoadBalancer dimension.
    const dimension = Fn.element(Fn.split('loadbalancer/', each.value as string), 1);
    const nlb = (
      name: string,
      description: string,
      query: (lb: string) => string,
      comparisonOperator: string,
      threshold: number,
      treatMissingData: 'breaching' | 'notBreaching',
    ) =>
      new CloudwatchMetricAlarm(this, `nlb_${name.replace(/-/g, '_')}`, {
        forEach: each,
        alarmName: `${props.prefix}-nlb-${name}`,
        alarmDescription: description,
        comparisonOperator,
        threshold,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData,
        metricQuery: [{ id: 'hosts', expression: query(dimension), period: 60, returnData: true }],
        ...actions,
      });
    const insights = (fn: 'MAX' | 'MIN', metric: string) => (lb: string) =>
      `SELECT ${fn}(${metric}) FROM SCHEMA("AWS/NetworkELB", LoadBalancer, TargetGroup) WHERE LoadBalancer = '${lb}'`;
    this.loadBalancer = [
      nlb(
        'unhealthy-hosts',
        'The API load balancer has unhealthy targets (pods not ready, or nodes without a ready pod) for 3 minutes.',
        insights('MAX', 'UnHealthyHostCount'),
        'GreaterThanThreshold',
        0,
        'notBreaching',
      ),
      nlb(
        'no-healthy-host',
        'A listener of the API load balancer has no healthy target for 3 minutes: clients cannot connect.',
        insights('MIN', 'HealthyHostCount'),
        'LessThanThreshold',
        1,
        // No data: no target group reports (the listener has no registered target at all).
        'breaching',
      ),
    ];
  }
}
