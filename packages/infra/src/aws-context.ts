import { Construct } from 'constructs';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';

/**
 * Where the stack is applied, as Terraform expressions: ARNs and service
 * principals are built from these so the same JSON works in every partition
 * (aws, aws-cn, aws-us-gov) and account.
 */
export interface AwsContext {
  /** `aws`, `aws-cn` or `aws-us-gov` (from `data.aws_partition`). */
  readonly partition: string;
  /** `amazonaws.com` or `amazonaws.com.cn`: the suffix of service principals. */
  readonly dnsSuffix: string;
  /** The account Terraform runs in (from `data.aws_caller_identity`). */
  readonly accountId: string;
  /** The region of every resource (from the config, as the provider's region). */
  readonly region: string;
  /** The caller identity data source, for constructs that need its ARN. */
  readonly callerIdentity: DataAwsCallerIdentity;
}

/** Reads partition and account once; every construct receives the result. */
export function awsContext(scope: Construct, region: string): AwsContext {
  const partition = new DataAwsPartition(scope, 'partition');
  const callerIdentity = new DataAwsCallerIdentity(scope, 'caller');
  return {
    partition: partition.partition,
    dnsSuffix: partition.dnsSuffix,
    accountId: callerIdentity.accountId,
    region,
    callerIdentity,
  };
}

/** ARN of an AWS managed IAM policy, e.g. `AmazonEKSWorkerNodePolicy`. */
export function managedPolicyArn(aws: AwsContext, name: string): string {
  return `arn:${aws.partition}:iam::aws:policy/${name}`;
}

/** ARN of a CloudWatch Logs log group (without the trailing `:*`). */
export function logGroupArn(aws: AwsContext, name: string): string {
  return `arn:${aws.partition}:logs:${aws.region}:${aws.accountId}:log-group:${name}`;
}

/** Service principal such as `eks.amazonaws.com` in the current partition. */
export function servicePrincipal(aws: AwsContext, service: string): string {
  return `${service}.${aws.dnsSuffix}`;
}

/** An IAM policy document (a data source, so Terraform renders and validates the JSON). */
export function policyDocument(
  scope: Construct,
  id: string,
  statements: DataAwsIamPolicyDocumentStatement[],
): DataAwsIamPolicyDocument {
  return new DataAwsIamPolicyDocument(scope, id, { statement: statements });
}

/** Trust policy letting one AWS service assume a role. */
export function assumeRoleByService(
  scope: Construct,
  id: string,
  aws: AwsContext,
  service: string,
  options: {
    actions?: string[];
    condition?: DataAwsIamPolicyDocumentStatement['condition'];
  } = {},
): DataAwsIamPolicyDocument {
  return policyDocument(scope, id, [
    {
      sid: 'AssumeRole',
      effect: 'Allow',
      actions: options.actions ?? ['sts:AssumeRole'],
      principals: [{ type: 'Service', identifiers: [servicePrincipal(aws, service)] }],
      ...(options.condition ? { condition: options.condition } : {}),
    },
  ]);
}
