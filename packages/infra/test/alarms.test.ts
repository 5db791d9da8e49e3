import { apiDatabaseConnections, resolveConfig, resourceNames } from '@fittech/shared';
import project from '../../../fittech.config';
import { type Block, ref, TerraformJson } from './terraform-json';

/*
 * The CloudWatch alarms and their SNS topic, as `dist/terraform` holds them:
 * names from the config, the metric and threshold of each, and the topic as
 * every alarm's action, in every environment.
 */

const ENVIRONMENTS = ['dev', 'prod'] as const;
const stacks = {} as Record<(typeof ENVIRONMENTS)[number], TerraformJson>;
beforeAll(() => {
  for (const env of ENVIRONMENTS) stacks[env] = TerraformJson.synth(env);
});

const TOPIC = ref('aws_sns_topic', 'alarms_topic', 'arn');
const MiB = 1024 * 1024;

describe.each(ENVIRONMENTS)('CloudWatch alarms in %s', (env) => {
  const tf = () => stacks[env];
  const config = resolveConfig({ project, env });
  const names = resourceNames(config);
  const alarm = (name: string): Block => tf().resource('aws_cloudwatch_metric_alarm', name);

  it('every alarm is named after the cluster and notifies the topic on ALARM and on OK', () => {
    const all = Object.values(tf().resources('aws_cloudwatch_metric_alarm'));
    expect(all.map((a) => a.alarm_name).sort()).toEqual(
      [
        'db-connections',
        'db-cpu',
        'db-free-storage',
        'db-freeable-memory',
        'nlb-no-healthy-host',
        'nlb-unhealthy-hosts',
      ].map((n) => `${names.cluster}-${n}`),
    );
    for (const a of all) {
      expect(a.alarm_actions).toEqual([TOPIC]);
      expect(a.ok_actions).toEqual([TOPIC]);
      expect(a.alarm_description).toMatch(/\w/);
    }
  });

  it('RDS: CPU, free storage, freeable memory and connections of the instance, with the thresholds of the config', () => {
    const { alarms } = config.observability;
    const expectations: [string, string, string, string, number][] = [
      [
        'alarms_db_cpu',
        'CPUUtilization',
        'Average',
        'GreaterThanThreshold',
        alarms.databaseCpuPercent,
      ],
      [
        'alarms_db_free_storage',
        'FreeStorageSpace',
        'Minimum',
        'LessThanThreshold',
        Math.round(
          alarms.databaseFreeStorageRatio * config.database.allocatedStorageGiB * 1024 * MiB,
        ),
      ],
      [
        'alarms_db_freeable_memory',
        'FreeableMemory',
        'Average',
        'LessThanThreshold',
        alarms.databaseFreeableMemoryMiB * MiB,
      ],
      [
        'alarms_db_connections',
        'DatabaseConnections',
        'Maximum',
        'GreaterThanThreshold',
        apiDatabaseConnections(config),
      ],
    ];
    for (const [name, metric, statistic, comparison, threshold] of expectations) {
      expect(alarm(name)).toMatchObject({
        namespace: 'AWS/RDS',
        metric_name: metric,
        statistic,
        comparison_operator: comparison,
        threshold,
        period: 300,
        dimensions: { DBInstanceIdentifier: names.dbIdentifier },
      });
    }
    // The instance the alarms watch is the stack's own.
    expect(tf().single('aws_db_instance').identifier).toBe(names.dbIdentifier);
  });

  it("the NLB's alarms follow the load balancer the Service controller tags for the release's Service", () => {
    const lbs = tf().data('aws_lbs', 'alarms_load_balancers');
    expect(lbs.tags).toEqual({
      'kubernetes.io/service-name': `${names.namespace}/${names.service}`,
      [`kubernetes.io/cluster/${names.cluster}`]: 'owned',
    });
    const unhealthy = alarm('alarms_nlb_unhealthy_hosts');
    const noHealthy = alarm('alarms_nlb_no_healthy_host');
    for (const a of [unhealthy, noHealthy]) {
      expect(a.for_each).toBe('${toset(tolist(data.aws_lbs.alarms_load_balancers.arns))}');
    }
    const query = (a: Block) => a.metric_query[0].expression as string;
    expect(query(unhealthy)).toBe(
      `SELECT MAX(UnHealthyHostCount) FROM SCHEMA("AWS/NetworkELB", LoadBalancer, TargetGroup) WHERE LoadBalancer = '\${element(split("loadbalancer/", each.value), 1)}'`,
    );
    expect(unhealthy).toMatchObject({ comparison_operator: 'GreaterThanThreshold', threshold: 0 });
    expect(query(noHealthy)).toContain('SELECT MIN(HealthyHostCount)');
    // No data from the listener's target groups is no healthy host.
    expect(noHealthy).toMatchObject({
      comparison_operator: 'LessThanThreshold',
      threshold: 1,
      treat_missing_data: 'breaching',
    });
  });

  it('the topic is encrypted with a rotating KMS key CloudWatch may use, and nothing else outside the account', () => {
    const topic = tf().resource('aws_sns_topic', 'alarms_topic');
    expect(topic.name).toBe(names.alarmTopic);
    expect(topic.kms_master_key_id).toBe(ref('aws_kms_key', 'alarms_key', 'arn'));
    const key = tf().resource('aws_kms_key', 'alarms_key');
    expect(key.enable_key_rotation).toBe(true);
    const statements = tf().data('aws_iam_policy_document', 'alarms_key_policy')
      .statement as Block[];
    const cloudwatch = statements.find((s) => s.sid === 'CloudWatchPublishesAlarms')!;
    expect(cloudwatch.actions).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(cloudwatch.principals[0].identifiers).toEqual([
      'cloudwatch.${data.aws_partition.partition.dns_suffix}',
    ]);
    expect(cloudwatch.condition[0]).toMatchObject({ variable: 'aws:SourceAccount' });
  });
});

describe('alarm subscribers and the load balancer controller mode', () => {
  it('subscribes the e-mails and the other endpoints of the config to the topic', () => {
    const tf = TerraformJson.synth('dev', {
      observability: {
        alarms: {
          emails: ['ops@example.com'],
          subscriptions: [{ protocol: 'https', endpoint: 'https://hooks.example.com/sns' }],
          databaseConnections: 40,
        },
      },
    });
    const subscriptions = Object.values(tf.resources('aws_sns_topic_subscription'));
    expect(subscriptions.map((s) => [s.protocol, s.endpoint, s.topic_arn])).toEqual([
      ['email', 'ops@example.com', TOPIC],
      ['https', 'https://hooks.example.com/sns', TOPIC],
    ]);
    expect(tf.resource('aws_cloudwatch_metric_alarm', 'alarms_db_connections').threshold).toBe(40);
  });

  it('without subscribers there is no subscription (the alarms still show in the console)', () => {
    expect(stacks.dev.resources('aws_sns_topic_subscription')).toEqual({});
  });

  it("finds the NLB by the AWS Load Balancer Controller's tags in that mode", () => {
    const tf = TerraformJson.synth('dev', {
      service: { loadBalancer: 'aws-load-balancer-controller' },
    });
    const names = resourceNames(resolveConfig({ project, env: 'dev' }));
    expect(tf.data('aws_lbs', 'alarms_load_balancers').tags).toEqual({
      'service.k8s.aws/stack': `${names.namespace}/${names.service}`,
      'elbv2.k8s.aws/cluster': names.cluster,
    });
  });
});
