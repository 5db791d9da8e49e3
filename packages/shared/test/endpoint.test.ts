import {
  ConfigError,
  isProductionEnvironment,
  publicHealthUrl,
  resolveConfig,
  serviceListeners,
  type ConfigOverrides,
} from '@fittech/shared';
import project from '../../../fittech.config';

/** AWS documentation's example certificate, in the default region (us-east-1). */
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012';
const HTTPS: ConfigOverrides = {
  service: { tls: { certificateArn: CERT }, dns: { hostname: 'api.example.com' } },
};

/** The problems of a refused configuration, as "path: message" lines. */
function problems(env: string, overrides: ConfigOverrides): string[] {
  try {
    resolveConfig({ env, overrides });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('a production environment needs HTTPS', () => {
  it('refuses prod without a certificate, saying why and the two ways out', () => {
    const [problem, ...others] = problems('prod', {});
    expect(others).toEqual([]);
    expect(problem).toBe(
      'service.tls.certificateArn: is required in the production environment "prod": without a certificate the ' +
        'load balancer listens on plain HTTP port 80 only, and /auth/register and /auth/token take passwords in ' +
        'clear text. Set service.tls.certificateArn to an ACM certificate in us-east-1 for service.dns.hostname, ' +
        'or, to serve plain HTTP in production deliberately, set service.allowPlainHttp: true',
    );
  });

  it('accepts prod without a certificate when plain HTTP is explicitly allowed', () => {
    const config = resolveConfig({ env: 'prod', overrides: { service: { allowPlainHttp: true } } });
    expect(serviceListeners(config)).toEqual([{ name: 'http', port: 80, tls: false }]);
  });

  it('dev without a certificate keeps plain HTTP on port 80 (the seed behaviour)', () => {
    const config = resolveConfig({ env: 'dev' });
    expect(config.service.allowPlainHttp).toBe(false);
    expect(serviceListeners(config)).toEqual([{ name: 'http', port: 80, tls: false }]);
    expect(publicHealthUrl(config, 'lb.example')).toBe('http://lb.example:80/health');
  });

  it.each([
    ['prod', true],
    ['production', true],
    ['prod-eu', true],
    ['dev', false],
    ['staging', false],
    ['product', false],
    ['preprod', false],
  ])('"%s" is a production environment: %s', (env, expected) => {
    expect(isProductionEnvironment(env)).toBe(expected);
  });

  it('the committed prod of fittech.config.ts has a certificate, dev has none', () => {
    expect(serviceListeners(resolveConfig({ project, env: 'prod' }))).toEqual([
      { name: 'https', port: 443, tls: true },
    ]);
    expect(serviceListeners(resolveConfig({ project, env: 'dev' }))).toEqual([
      { name: 'http', port: 80, tls: false },
    ]);
  });
});

describe('listeners and URLs with a certificate', () => {
  it('TLS on 443 only, and the health URL is https:// on the hostname', () => {
    const config = resolveConfig({ env: 'prod', overrides: HTTPS });
    expect(config.service.tls.policy).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
    expect(serviceListeners(config)).toEqual([{ name: 'https', port: 443, tls: true }]);
    expect(publicHealthUrl(config, 'lb.example')).toBe('https://api.example.com/health');
  });

  it('allowPlainHttp keeps port 80 next to TLS; another TLS port appears in the URL', () => {
    const config = resolveConfig({
      env: 'prod',
      overrides: {
        ...HTTPS,
        service: {
          ...HTTPS.service,
          allowPlainHttp: true,
          tls: { certificateArn: CERT, port: 8443 },
        },
      },
    });
    expect(serviceListeners(config)).toEqual([
      { name: 'https', port: 8443, tls: true },
      { name: 'http', port: 80, tls: false },
    ]);
    expect(publicHealthUrl(config, 'lb.example')).toBe('https://api.example.com:8443/health');
  });

  it('a hostname without a certificate: plain HTTP to that name', () => {
    const config = resolveConfig({
      env: 'dev',
      overrides: { service: { dns: { hostname: 'dev.example.com' } } },
    });
    expect(publicHealthUrl(config, 'lb.example')).toBe('http://dev.example.com:80/health');
  });
});

describe('HTTPS settings that cannot work are refused', () => {
  it.each<[string, ConfigOverrides, string]>([
    [
      'a certificate of another region',
      { region: 'eu-west-1', ...HTTPS },
      'service.tls.certificateArn: is in us-east-1, but the load balancer is in eu-west-1: an NLB uses ACM certificates of its own region only',
    ],
    [
      'a certificate without a hostname',
      { service: { tls: { certificateArn: CERT } } },
      'service.dns.hostname: is required with service.tls.certificateArn',
    ],
    [
      'a hosted zone without a hostname',
      { service: { allowPlainHttp: true, dns: { hostedZoneId: 'Z1R8UBAEXAMPLE' } } },
      'service.dns.hostedZoneId: needs service.dns.hostname',
    ],
    [
      'the TLS port equal to the plain one with both open',
      {
        service: {
          ...HTTPS.service,
          allowPlainHttp: true,
          tls: { certificateArn: CERT, port: 80 },
        },
      },
      'service.tls.port: must differ from service.port (80)',
    ],
    [
      'a TLS 1.0 policy',
      {
        service: {
          ...HTTPS.service,
          tls: { certificateArn: CERT, policy: 'ELBSecurityPolicy-2016-08' as never },
        },
      },
      'service.tls.policy: Invalid option',
    ],
    [
      'an IAM server certificate instead of ACM',
      {
        service: {
          ...HTTPS.service,
          tls: { certificateArn: 'arn:aws:iam::123456789012:server-certificate/x' },
        },
      },
      'service.tls.certificateArn: must be an ACM certificate ARN',
    ],
    [
      'an upper-case hostname',
      { service: { tls: { certificateArn: CERT }, dns: { hostname: 'API.example.com' } } },
      'service.dns.hostname: must be a fully qualified DNS name in lower case',
    ],
    [
      'a hostname with one label',
      { service: { tls: { certificateArn: CERT }, dns: { hostname: 'localhost' } } },
      'service.dns.hostname: must be a fully qualified DNS name in lower case',
    ],
  ])('%s', (_name, overrides, expected) => {
    expect(problems('prod', overrides).join('\n')).toContain(expected);
  });
});
