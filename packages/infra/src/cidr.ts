import { ConfigError } from '@fittech/shared/core';

/**
 * IPv4 subnet arithmetic, done at synth time so the Terraform holds literal
 * CIDR blocks that a reviewer can read (and a test can assert).
 */

interface Ipv4Block {
  /** The network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
}

function parse(cidr: string): Ipv4Block {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) throw new Error(`"${cidr}" is not an IPv4 CIDR block such as "10.0.0.0/16"`);
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) {
    throw new Error(`"${cidr}" is not an IPv4 CIDR block such as "10.0.0.0/16"`);
  }
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { base, prefix };
}

function format(block: Ipv4Block): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(block.base / 2 ** shift) % 256);
  return `${octets.join('.')}/${block.prefix}`;
}

/** Whether the block's host bits are all zero (AWS rejects "10.0.0.1/16" for a VPC). */
function isNetworkAddress(block: Ipv4Block): boolean {
  return block.base % 2 ** (32 - block.prefix) === 0;
}

/**
 * Terraform's `cidrsubnet(prefix, newbits, netnum)` for IPv4: the `netnum`-th
 * block of size `/prefix+newbits` inside `cidr`.
 */
export function cidrSubnet(cidr: string, newBits: number, netNum: number): string {
  const block = parse(cidr);
  const prefix = block.prefix + newBits;
  if (prefix > 32) throw new Error(`cidrSubnet: "${cidr}" has no room for ${newBits} more bits`);
  if (!Number.isInteger(netNum) || netNum < 0 || netNum >= 2 ** newBits) {
    throw new Error(`cidrSubnet: ${netNum} is outside the ${2 ** newBits} subnets of "${cidr}"`);
  }
  const base = block.base - (block.base % 2 ** (32 - block.prefix)) + netNum * 2 ** (32 - prefix);
  return format({ base, prefix });
}

/** The subnets of one VPC: index i of each list lies in availability zone i. */
export interface SubnetLayout {
  readonly public: readonly string[];
  readonly private: readonly string[];
}

/** Smallest and largest VPC blocks the layout supports. */
export const VPC_PREFIX_RANGE = { min: 16, max: 20 } as const;

/**
 * Carves the VPC into one private and one public subnet per availability zone,
 * the layout terraform-aws-modules/vpc examples use: private subnets are the
 * first sixteenths of the VPC (a /20 each in a /16: room for nodes and the VPC
 * CNI's pod addresses), public subnets are /24s from the fourth quarter (they
 * hold only NAT gateways and load balancer ENIs).
 *
 * @throws ConfigError when the block is not a network address or its size is outside /16–/20.
 */
export function subnetLayout(vpcCidr: string, availabilityZones: number): SubnetLayout {
  const block = parse(vpcCidr);
  if (!isNetworkAddress(block)) {
    const size = 2 ** (32 - block.prefix);
    throw new ConfigError([
      {
        path: 'network.vpcCidr',
        value: vpcCidr,
        message: `has host bits set; AWS needs the network address, i.e. "${format({ base: block.base - (block.base % size), prefix: block.prefix })}"`,
      },
    ]);
  }
  if (block.prefix < VPC_PREFIX_RANGE.min || block.prefix > VPC_PREFIX_RANGE.max) {
    throw new ConfigError([
      {
        path: 'network.vpcCidr',
        value: vpcCidr,
        message: `must be between /${VPC_PREFIX_RANGE.min} (the largest VPC AWS allows) and /${VPC_PREFIX_RANGE.max} (so each public subnet is at least a /28), e.g. "10.0.0.0/16"`,
      },
    ]);
  }
  const zones = Array.from({ length: availabilityZones }, (_, i) => i);
  return {
    private: zones.map((i) => cidrSubnet(vpcCidr, 4, i)),
    public: zones.map((i) => cidrSubnet(vpcCidr, 8, 48 + i)),
  };
}
