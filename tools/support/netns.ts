/**
 * A pod's network for tests: a Linux network namespace joined to the host by
 * a veth pair, with addresses from the documentation range 198.51.100.0/24
 * (RFC 5737), so no traffic ever aims at a real network.
 */
import { execFileSync, spawnSync } from 'node:child_process';

export interface PodNetwork {
  /** Namespace name (`ip netns exec <name> …`). */
  readonly name: string;
  /** The host end's address: what the pod reaches the host (our "RDS") at. */
  readonly hostAddress: string;
  /** The pod's address: what the load balancer (the host) calls. */
  readonly podAddress: string;
  /** argv prefix that runs a command inside the pod's network. */
  exec(argv: readonly string[]): string[];
  /** Removes the namespace and the veth pair; safe to call twice. */
  remove(): void;
}

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Why network namespaces cannot be used here, or undefined when they can. */
export function netnsUnavailableReason(): string | undefined {
  if (process.platform !== 'linux')
    return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (ip netns add)';
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0)
    return `iproute2 is not usable: ${probe.error?.message ?? probe.stderr}`;
  const name = `ftprobe${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.status !== 0) return `cannot create a network namespace: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', name]);
  return undefined;
}

/** Creates the namespace; the third octet pair is chosen per process so parallel runs do not clash. */
export function createPodNetwork(): PodNetwork {
  const id = process.pid % 60000;
  const name = `fittech-e2e-${id}`;
  const hostIf = `ftv${id}h`;
  const podIf = `ftv${id}p`;
  // /30 inside 198.51.100.0/24, chosen by pid.
  const base = (id % 64) * 4;
  const hostAddress = `198.51.100.${base + 1}`;
  const podAddress = `198.51.100.${base + 2}`;
  let removed = false;
  const remove = () => {
    if (removed) return;
    removed = true;
    spawnSync('ip', ['netns', 'del', name]);
    spawnSync('ip', ['link', 'del', hostIf]);
  };
  try {
    ip(['netns', 'add', name]);
    ip(['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', podIf]);
    ip(['link', 'set', podIf, 'netns', name]);
    ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['netns', 'exec', name, 'ip', 'addr', 'add', `${podAddress}/30`, 'dev', podIf]);
    ip(['netns', 'exec', name, 'ip', 'link', 'set', podIf, 'up']);
  } catch (e) {
    remove();
    throw e;
  }
  return {
    name,
    hostAddress,
    podAddress,
    exec: (argv) => ['ip', 'netns', 'exec', name, ...argv],
    remove,
  };
}
