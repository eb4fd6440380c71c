import type { Host } from './host.js';
import type { HostSet } from './host-set.js';
import type { LoadBalancer } from './load-balancer.js';

/**
 * Power of two choices, as Envoy's LEAST_REQUEST does by default: pick two usable hosts at random and
 * take the one with fewer active requests. Nearly as good as a full scan, and O(1).
 */
export class LeastRequestBalancer implements LoadBalancer {
  constructor(private readonly hosts: HostSet) {}

  choose(): Host | undefined {
    const hosts = this.hosts.available;
    const n = hosts.length;
    if (n === 0) return undefined;
    if (n === 1) return hosts[0];
    const a = hosts[Math.floor(Math.random() * n)]!;
    const b = hosts[Math.floor(Math.random() * n)]!;
    return b.activeRequests < a.activeRequests ? b : a;
  }
}
