import { healthyOrAll, type Host } from './host.js';
import type { LoadBalancer } from './load-balancer.js';

/** Uniformly random among healthy hosts. */
export class RandomBalancer implements LoadBalancer {
  constructor(private readonly hosts: readonly Host[]) {}

  choose(): Host | undefined {
    const hosts = healthyOrAll(this.hosts);
    if (hosts.length === 0) return undefined;
    return hosts[Math.floor(Math.random() * hosts.length)];
  }
}
