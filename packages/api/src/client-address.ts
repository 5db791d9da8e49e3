import ipaddr from 'ipaddr.js';

/**
 * The address the rate limits key on: the TCP peer of the connection, never
 * a header. `X-Forwarded-For` and friends are written by the client unless a
 * trusted proxy rewrites them, and behind the NLB nothing does: the Service
 * preserves the client's address (see packages/manifests), so the peer *is*
 * the client. An IPv4-mapped IPv6 peer (`::ffff:203.0.113.7`, a dual-stack
 * socket) counts as its IPv4 address; an IPv6 peer counts by its /64, the
 * block one subscriber usually holds, so that rotating through it does not
 * buy a fresh budget per address.
 */
export function clientAddressKey(remoteAddress: string | undefined): string {
  if (!remoteAddress || !ipaddr.isValid(remoteAddress)) return 'unknown';
  const parsed = ipaddr.process(remoteAddress);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}
