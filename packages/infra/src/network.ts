import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { type AwsContext, assumeRoleByService, policyDocument } from './aws-context';
import { subnetLayout } from './cidr';

/**
 * Zone IDs where EKS cannot place a control plane (UnsupportedAvailabilityZoneException):
 * AZ *names* map to different zone IDs per account, so they are excluded by ID.
 */
export const EKS_UNSUPPORTED_ZONE_IDS = ['use1-az3', 'usw1-az2', 'cac1-az3'] as const;

export interface NetworkProps {
  readonly aws: AwsContext;
  /** Prefix of the `Name` tags and of the flow-log role, e.g. the cluster name. */
  readonly name: string;
  /** The EKS cluster that uses the subnets: they carry `kubernetes.io/cluster/<clusterName>=shared`. */
  readonly clusterName: string;
  /** IPv4 block of the VPC, /16–/20. @default '10.0.0.0/16' */
  readonly cidrBlock?: string;
  /** Availability zones the subnets span. @default 2 */
  readonly availabilityZones?: 2 | 3;
  /** One NAT gateway for the VPC (cheaper) or one per zone (survives a zone outage). @default 'single' */
  readonly natGateways?: 'single' | 'one-per-az';
  /** VPC flow logs: name and retention of the CloudWatch log group, and its KMS key. */
  readonly flowLogs: {
    readonly logGroupName: string;
    readonly retentionInDays: number;
    /** KMS key ARN that encrypts the log group. @default the CloudWatch Logs service key */
    readonly kmsKeyArn?: string;
  };
}

/**
 * The VPC of the seed architecture: a public and a private subnet per zone,
 * an internet gateway, NAT gateways for the private subnets, VPC flow logs
 * (CKV2_AWS_11) and the default security group stripped of every rule
 * (CKV2_AWS_12). Subnets carry the tags the AWS cloud provider and the AWS
 * Load Balancer Controller use to place load balancers: `elb` on the public
 * ones (the internet-facing NLB), `internal-elb` on the private ones.
 */
export class Network extends Construct {
  readonly vpc: Vpc;
  readonly zones: DataAwsAvailabilityZones;
  readonly publicSubnets: readonly Subnet[];
  readonly privateSubnets: readonly Subnet[];
  readonly natGateways: readonly NatGateway[];
  /** The private subnets' default routes: whatever runs there needs them to reach AWS APIs. */
  readonly privateDefaultRoutes: readonly Route[];
  readonly flowLog: FlowLog;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { aws, name } = props;
    const cidrBlock = props.cidrBlock ?? '10.0.0.0/16';
    const zoneCount = props.availabilityZones ?? 2;
    const layout = subnetLayout(cidrBlock, zoneCount);
    const clusterTag = { [`kubernetes.io/cluster/${props.clusterName}`]: 'shared' };

    this.zones = new DataAwsAvailabilityZones(this, 'zones', {
      state: 'available',
      excludeZoneIds: [...EKS_UNSUPPORTED_ZONE_IDS],
      filter: [{ name: 'opt-in-status', values: ['opt-in-not-required'] }],
    });

    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: `${name}-vpc` },
    });

    new DefaultSecurityGroup(this, 'default_security_group', {
      vpcId: this.vpc.id,
      ingress: [],
      egress: [],
      tags: { Name: `${name}-default-deny-all` },
    });

    const internetGateway = new InternetGateway(this, 'internet_gateway', {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-igw` },
    });

    const zone = (i: number): string => Fn.element(this.zones.names, i);
    this.publicSubnets = layout.public.map(
      (cidr, i) =>
        new Subnet(this, `public_${i}`, {
          vpcId: this.vpc.id,
          cidrBlock: cidr,
          availabilityZone: zone(i),
          // Nothing in the public subnets needs a public IP at launch: the NAT
          // gateways get Elastic IPs, the NLB its own (CKV_AWS_130).
          mapPublicIpOnLaunch: false,
          tags: { Name: `${name}-public-${i}`, 'kubernetes.io/role/elb': '1', ...clusterTag },
        }),
    );
    this.privateSubnets = layout.private.map(
      (cidr, i) =>
        new Subnet(this, `private_${i}`, {
          vpcId: this.vpc.id,
          cidrBlock: cidr,
          availabilityZone: zone(i),
          tags: {
            Name: `${name}-private-${i}`,
            'kubernetes.io/role/internal-elb': '1',
            ...clusterTag,
          },
        }),
    );

    const publicRouteTable = new RouteTable(this, 'public_route_table', {
      vpcId: this.vpc.id,
      tags: { Name: `${name}-public` },
    });
    new Route(this, 'public_internet_route', {
      routeTableId: publicRouteTable.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: internetGateway.id,
    });
    this.publicSubnets.forEach(
      (subnet, i) =>
        new RouteTableAssociation(this, `public_${i}_route_table_association`, {
          subnetId: subnet.id,
          routeTableId: publicRouteTable.id,
        }),
    );

    const natCount = (props.natGateways ?? 'single') === 'single' ? 1 : zoneCount;
    this.natGateways = Array.from({ length: natCount }, (_, i) => {
      const eip = new Eip(this, `nat_eip_${i}`, {
        domain: 'vpc',
        tags: { Name: `${name}-nat-${i}` },
        dependsOn: [internetGateway],
      });
      return new NatGateway(this, `nat_gateway_${i}`, {
        allocationId: eip.allocationId,
        subnetId: this.publicSubnets[i]!.id,
        tags: { Name: `${name}-nat-${i}` },
        dependsOn: [internetGateway],
      });
    });

    // A route table per zone, so switching between one NAT gateway and one per
    // zone only changes routes, never subnet associations.
    this.privateDefaultRoutes = this.privateSubnets.map((subnet, i) => {
      const table = new RouteTable(this, `private_route_table_${i}`, {
        vpcId: this.vpc.id,
        tags: { Name: `${name}-private-${i}` },
      });
      new RouteTableAssociation(this, `private_${i}_route_table_association`, {
        subnetId: subnet.id,
        routeTableId: table.id,
      });
      return new Route(this, `private_nat_route_${i}`, {
        routeTableId: table.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: this.natGateways[Math.min(i, natCount - 1)]!.id,
      });
    });

    const logGroup = new CloudwatchLogGroup(this, 'flow_logs_log_group', {
      name: props.flowLogs.logGroupName,
      retentionInDays: props.flowLogs.retentionInDays,
      kmsKeyId: props.flowLogs.kmsKeyArn,
    });
    const role = new IamRole(this, 'flow_logs_role', {
      name: `${name}-vpc-flow-logs`,
      description: `Lets VPC flow logs of ${name} write to ${props.flowLogs.logGroupName}`,
      assumeRolePolicy: assumeRoleByService(this, 'flow_logs_assume_role', aws, 'vpc-flow-logs', {
        // Confused-deputy guard: only flow logs of this account may assume the role.
        condition: [
          { test: 'StringEquals', variable: 'aws:SourceAccount', values: [aws.accountId] },
          {
            test: 'ArnLike',
            variable: 'aws:SourceArn',
            values: [`arn:${aws.partition}:ec2:${aws.region}:${aws.accountId}:vpc-flow-log/*`],
          },
        ],
      }).json,
    });
    new IamRolePolicy(this, 'flow_logs_role_policy', {
      name: 'write-flow-logs',
      role: role.id,
      policy: policyDocument(this, 'flow_logs_policy', [
        {
          sid: 'WriteFlowLogs',
          effect: 'Allow',
          actions: [
            'logs:CreateLogStream',
            'logs:PutLogEvents',
            'logs:DescribeLogGroups',
            'logs:DescribeLogStreams',
          ],
          resources: [`${logGroup.arn}:*`],
        },
      ]).json,
    });
    this.flowLog = new FlowLog(this, 'flow_log', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags: { Name: `${name}-vpc` },
    });
  }
}
