import type { Host } from './host.js';
import type { HostSet } from './host-set.js';
import type { LoadBalancer } from './load-balancer.js';

/** Uniformly random among usable hosts. */
export class RandomBalancer implements LoadBalancer {
  constructor(private readonly hosts: HostSet) {}

  choose(): Host | undefined {
    const hosts = this.hosts.available;
    if (hosts.length === 0) return undefined;
    return hosts[Math.floor(Math.random() * hosts.length)];
  }
}
