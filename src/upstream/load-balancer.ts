import type { LbPolicy } from '../xds/resources.js';
import type { Host } from './host.js';
import type { HostSet } from './host-set.js';
import { LeastRequestBalancer } from './load-balancer-least-request.js';
import { MaglevBalancer } from './load-balancer-maglev.js';
import { RandomBalancer } from './load-balancer-random.js';
import { RingHashBalancer } from './load-balancer-ring-hash.js';
import { RoundRobinBalancer } from './load-balancer-round-robin.js';

/**
 * Picks a host for each request. A balancer is built for one set of hosts and rebuilt when the set
 * changes, so it may precompute (a hash ring, weights). Ejected hosts are never picked, unless the
 * set is in panic mode (see {@link HostSet}).
 */
export interface LoadBalancer {
  /**
   * A usable host, or `undefined` when there is none. `hashKey` is the request's consistent-hash
   * key; balancers that do not hash ignore it, and hashing balancers fall back to random without it.
   */
  choose(hashKey: number | undefined): Host | undefined;
  /** Hosts' health changed (the set was refreshed); balancers with precomputed choices redo them. */
  onHealthChanged?(): void;
}

/** Builds the balancer for `policy` over `hosts`. */
export function createLoadBalancer(policy: LbPolicy, hosts: HostSet): LoadBalancer {
  switch (policy) {
    case 'ROUND_ROBIN':
      return new RoundRobinBalancer(hosts);
    case 'RANDOM':
      return new RandomBalancer(hosts);
    case 'LEAST_REQUEST':
      return new LeastRequestBalancer(hosts);
    case 'RING_HASH':
      return new RingHashBalancer(hosts);
    case 'MAGLEV':
      return new MaglevBalancer(hosts);
  }
}
