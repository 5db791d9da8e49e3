import type { FitTechConfig } from './schema';

/**
 * How clients reach the API through the load balancer: which listeners the
 * Service has, and the URL of the health path. The chart's Service, its
 * NOTES.txt, the pipeline and the deploy CLI all read it from here, so they
 * cannot disagree on a scheme, a port or a hostname.
 */

/**
 * Environments whose name says production (`prod`, `production`, `prod-…`):
 * they need a certificate unless `service.allowPlainHttp` says otherwise.
 */
export function isProductionEnvironment(environment: string): boolean {
  return /^prod(uction)?(-|$)/.test(environment);
}

/** One listener of the load balancer; every one forwards to the pods' plain `http` port. */
export interface Listener {
  /** The Service port's name. */
  readonly name: 'https' | 'http';
  readonly port: number;
  /** Whether the NLB terminates TLS on it (with the certificate). */
  readonly tls: boolean;
}

/** The TLS listener's settings, when a certificate is configured. */
export interface TlsListener {
  readonly certificateArn: string;
  readonly port: number;
  readonly policy: string;
}

export function tlsListener(config: FitTechConfig): TlsListener | undefined {
  const { certificateArn, port, policy } = config.service.tls;
  return certificateArn ? { certificateArn, port, policy } : undefined;
}

/**
 * The listeners of the Service, the TLS one first: without a certificate only
 * plain HTTP on `service.port` (dev, as the seed had it); with one, TLS on
 * `service.tls.port`, and plain HTTP next to it only with `allowPlainHttp`.
 */
export function serviceListeners(config: FitTechConfig): Listener[] {
  const tls = tlsListener(config);
  const http: Listener = { name: 'http', port: config.service.port, tls: false };
  if (!tls) return [http];
  return [
    { name: 'https', port: tls.port, tls: true },
    ...(config.service.allowPlainHttp ? [http] : []),
  ];
}

/**
 * The URL of the health path as clients reach it: `https://<service.dns.hostname>`
 * (with the TLS port unless 443) when a certificate is configured; else plain
 * HTTP on `service.port` to the configured hostname, or to the load balancer's
 * own hostname (`loadBalancerHost`, e.g. `$LB_HOST` in a script) without one.
 */
export function publicHealthUrl(config: FitTechConfig, loadBalancerHost: string): string {
  return `${publicBaseUrl(config, loadBalancerHost)}${config.api.healthPath}`;
}

/** Scheme, host and port of the API's public URL (see {@link publicHealthUrl}). */
export function publicBaseUrl(config: FitTechConfig, loadBalancerHost: string): string {
  const tls = tlsListener(config);
  const hostname = config.service.dns.hostname;
  if (tls)
    return `https://${hostname ?? loadBalancerHost}${tls.port === 443 ? '' : `:${tls.port}`}`;
  return `http://${hostname ?? loadBalancerHost}:${config.service.port}`;
}

/** A rule of the HTTPS settings that does not hold: path, value, reason. */
export interface EndpointProblem {
  readonly path: string;
  readonly value: unknown;
  readonly message: string;
}

/** Rules across the HTTPS settings (checked by resolveConfig after the schema). */
export function endpointProblems(c: FitTechConfig): EndpointProblem[] {
  const problems: EndpointProblem[] = [];
  const { tls, dns } = c.service;
  const production = isProductionEnvironment(c.environment);
  if (!tls.certificateArn) {
    if (production && !c.service.allowPlainHttp) {
      problems.push({
        path: 'service.tls.certificateArn',
        value: undefined,
        message:
          `is required in the production environment "${c.environment}": without a certificate the load balancer ` +
          `listens on plain HTTP port ${c.service.port} only, and /auth/register and /auth/token take passwords in clear text. ` +
          `Set service.tls.certificateArn to an ACM certificate in ${c.region} for service.dns.hostname, ` +
          'or, to serve plain HTTP in production deliberately, set service.allowPlainHttp: true',
      });
    }
  } else {
    const region = tls.certificateArn.split(':')[3];
    if (region !== c.region) {
      problems.push({
        path: 'service.tls.certificateArn',
        value: tls.certificateArn,
        message: `is in ${region}, but the load balancer is in ${c.region}: an NLB uses ACM certificates of its own region only; request or import the certificate in ${c.region}`,
      });
    }
    if (!dns.hostname) {
      problems.push({
        path: 'service.dns.hostname',
        value: undefined,
        message:
          'is required with service.tls.certificateArn: it is the name the certificate is issued for, ' +
          "which clients and the pipeline's health check use (the load balancer's own amazonaws.com name is on no certificate of yours)",
      });
    }
    if (c.service.allowPlainHttp && tls.port === c.service.port) {
      problems.push({
        path: 'service.tls.port',
        value: tls.port,
        message: `must differ from service.port (${c.service.port}): with service.allowPlainHttp both listeners exist`,
      });
    }
  }
  if (dns.hostedZoneId && !dns.hostname) {
    problems.push({
      path: 'service.dns.hostedZoneId',
      value: dns.hostedZoneId,
      message: 'needs service.dns.hostname: the name of the record to create in that zone',
    });
  }
  return problems;
}
