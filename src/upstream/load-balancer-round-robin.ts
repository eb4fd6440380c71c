import type { Host } from './host.js';
import type { HostSet } from './host-set.js';
import type { LoadBalancer } from './load-balancer.js';

/**
 * Weighted round robin: each host appears `weight` times in the rotation; ejected hosts are passed
 * over, so the others keep their turns.
 */
export class RoundRobinBalancer implements LoadBalancer {
  private readonly rotation: readonly Host[];
  private next = 0;

  constructor(private readonly hosts: HostSet) {
    const all = hosts.all;
    const rotation: Host[] = [];
    const uniform = all.every(h => h.weight === all[0]?.weight);
    for (const h of all) for (let i = 0; i < (uniform ? 1 : h.weight); i++) rotation.push(h);
    this.rotation = rotation;
  }

  choose(): Host | undefined {
    const n = this.rotation.length;
    const set = this.hosts;
    for (let tries = 0; tries < n; tries++) {
      const host = this.rotation[this.next]!;
      this.next = this.next + 1 === n ? 0 : this.next + 1;
      if (set.usable(host)) return host;
    }
    return undefined;
  }
}
