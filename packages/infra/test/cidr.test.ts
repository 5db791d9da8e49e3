import { ConfigError } from '@fittech/shared';
import { cidrSubnet, subnetLayout } from '@fittech/infra';

describe('cidrSubnet (Terraform’s cidrsubnet for IPv4)', () => {
  it.each([
    ['10.0.0.0/16', 4, 0, '10.0.0.0/20'],
    ['10.0.0.0/16', 4, 2, '10.0.32.0/20'],
    ['10.0.0.0/16', 8, 48, '10.0.48.0/24'],
    ['172.16.0.0/12', 4, 15, '172.31.0.0/16'],
    ['192.168.4.0/22', 2, 3, '192.168.7.0/24'],
    ['10.255.0.0/16', 8, 255, '10.255.255.0/24'],
  ])('cidrsubnet("%s", %i, %i) = %s', (cidr, bits, num, expected) => {
    expect(cidrSubnet(cidr, bits, num)).toBe(expected);
  });

  it('refuses a subnet number outside the block', () => {
    expect(() => cidrSubnet('10.0.0.0/16', 4, 16)).toThrow(/outside the 16 subnets/);
    expect(() => cidrSubnet('10.0.0.0/30', 4, 0)).toThrow(/no room for 4 more bits/);
  });
});

describe('subnetLayout', () => {
  it('gives each zone a private /20 and a public /24 from a /16', () => {
    expect(subnetLayout('10.0.0.0/16', 3)).toEqual({
      private: ['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20'],
      public: ['10.0.48.0/24', '10.0.49.0/24', '10.0.50.0/24'],
    });
  });

  it('scales down to a /20 VPC (private /24s, public /28s)', () => {
    expect(subnetLayout('10.1.16.0/20', 2)).toEqual({
      private: ['10.1.16.0/24', '10.1.17.0/24'],
      public: ['10.1.19.0/28', '10.1.19.16/28'],
    });
  });

  it('refuses a VPC block outside /16–/20 with the setting and an example', () => {
    const attempt = () => subnetLayout('10.0.0.0/24', 2);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /network\.vpcCidr: must be between \/16 .* and \/20 .*\(got "10\.0\.0\.0\/24"\)/,
    );
    expect(() => subnetLayout('10.0.0.0/8', 2)).toThrow(/network\.vpcCidr/);
  });

  it('refuses a block with host bits set and names the network address to use', () => {
    expect(() => subnetLayout('10.0.3.7/16', 2)).toThrow(/host bits set.*"10\.0\.0\.0\/16"/);
  });

  it('never overlaps: all subnets are distinct and inside the VPC', () => {
    const { private: priv, public: pub } = subnetLayout('10.0.0.0/16', 3);
    const all = [...priv, ...pub];
    expect(new Set(all).size).toBe(all.length);
    for (const cidr of all) expect(cidr.startsWith('10.0.')).toBe(true);
  });
});
