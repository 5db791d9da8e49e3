import { Construct } from 'constructs';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { KmsAlias } from '@cdktf/provider-aws/lib/kms-alias';
import { type AwsContext, logGroupArn, policyDocument, servicePrincipal } from './aws-context';

export interface ClusterKeyProps {
  readonly aws: AwsContext;
  /** Alias without the `alias/` prefix, e.g. `fittech-dev-eks`. */
  readonly alias: string;
  /** CloudWatch log groups allowed to encrypt with the key (exact names). @default none */
  readonly logGroupNames?: readonly string[];
  /** Days a scheduled deletion waits (7–30). @default 30 */
  readonly deletionWindowInDays?: number;
}

/**
 * The customer-managed KMS key of one environment: envelope encryption of the
 * cluster's Kubernetes Secrets (CKV_AWS_58) and encryption of its CloudWatch
 * log groups (CKV_AWS_158). Rotation is on (CKV_AWS_7); the key policy is
 * explicit (CKV2_AWS_64): the account administers the key through IAM, and
 * CloudWatch Logs may use it only for the listed log groups.
 */
export class ClusterKey extends Construct {
  readonly key: KmsKey;
  readonly alias: KmsAlias;

  constructor(scope: Construct, id: string, props: ClusterKeyProps) {
    super(scope, id);
    const { aws } = props;
    const logGroups = props.logGroupNames ?? [];
    const statements: Parameters<typeof policyDocument>[2] = [
      {
        sid: 'AccountAdministersKeyThroughIam',
        effect: 'Allow',
        actions: ['kms:*'],
        resources: ['*'],
        principals: [
          { type: 'AWS', identifiers: [`arn:${aws.partition}:iam::${aws.accountId}:root`] },
        ],
      },
    ];
    if (logGroups.length > 0) {
      statements.push({
        sid: 'CloudWatchLogsEncryptsListedLogGroups',
        effect: 'Allow',
        actions: [
          'kms:Encrypt*',
          'kms:Decrypt*',
          'kms:ReEncrypt*',
          'kms:GenerateDataKey*',
          'kms:Describe*',
        ],
        resources: ['*'],
        principals: [
          { type: 'Service', identifiers: [servicePrincipal(aws, `logs.${aws.region}`)] },
        ],
        condition: [
          {
            test: 'ArnEquals',
            variable: 'kms:EncryptionContext:aws:logs:arn',
            values: logGroups.map((name) => logGroupArn(aws, name)),
          },
        ],
      });
    }
    const policy = policyDocument(this, 'policy', statements);
    this.key = new KmsKey(this, 'key', {
      description: `${props.alias}: Kubernetes Secrets and CloudWatch log groups`,
      enableKeyRotation: true,
      deletionWindowInDays: props.deletionWindowInDays ?? 30,
      policy: policy.json,
    });
    this.alias = new KmsAlias(this, 'alias', {
      name: `alias/${props.alias}`,
      targetKeyId: this.key.keyId,
    });
  }
}
