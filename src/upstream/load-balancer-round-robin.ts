import { healthyOrAll, type Host } from './host.js';
import type { LoadBalancer } from './load-balancer.js';

/** Weighted round robin: each host appears `weight` times in the rotation. */
export class RoundRobinBalancer implements LoadBalancer {
  private readonly rotation: readonly Host[];
  private next = 0;

  constructor(private readonly hosts: readonly Host[]) {
    const rotation: Host[] = [];
    const uniform = hosts.every(h => h.weight === hosts[0]?.weight);
    for (const h of hosts) for (let i = 0; i < (uniform ? 1 : h.weight); i++) rotation.push(h);
    this.rotation = rotation;
  }

  choose(): Host | undefined {
    const n = this.rotation.length;
    if (n === 0) return undefined;
    for (let tries = 0; tries < n; tries++) {
      const host = this.rotation[this.next]!;
      this.next = (this.next + 1) % n;
      if (host.healthy) return host;
    }
    const all = healthyOrAll(this.hosts);
    return all[Math.floor(Math.random() * all.length)];
  }
}
