import { hashString } from './hash.js';
import type { Host } from './host.js';
import type { HostSet } from './host-set.js';
import { RandomBalancer } from './load-balancer-random.js';
import type { LoadBalancer } from './load-balancer.js';

/**
 * Points per unit of host weight. A fixed count per host (rather than a fixed ring size shared out)
 * means adding or removing a host leaves every other host's points where they were, so only the
 * keys on the changed host's arcs move.
 */
const POINTS_PER_WEIGHT = 160;

/**
 * Consistent hashing on a ring (Envoy RING_HASH): each host owns points proportional to its weight;
 * a request goes to the first point at or after its key's hash. Adding or removing a host moves only
 * the keys on its arcs. An ejected host is skipped by walking on along the ring to the next usable
 * host's point, which is where its keys would land on a ring built without it (what Envoy does), and
 * they come back when it does.
 */
export class RingHashBalancer implements LoadBalancer {
  private readonly points: Uint32Array;
  private readonly owners: Host[];
  private readonly fallback: RandomBalancer;

  constructor(private readonly hosts: HostSet) {
    this.fallback = new RandomBalancer(hosts);
    const entries: { hash: number; host: Host }[] = [];
    for (const host of hosts.all) {
      const count = POINTS_PER_WEIGHT * host.weight;
      for (let i = 0; i < count; i++) entries.push({ hash: hashString(`${host.key}_${i}`), host });
    }
    entries.sort((a, b) => a.hash - b.hash || (a.host.key < b.host.key ? -1 : 1));
    this.points = Uint32Array.from(entries, e => e.hash);
    this.owners = entries.map(e => e.host);
  }

  choose(hashKey: number | undefined): Host | undefined {
    const n = this.points.length;
    if (n === 0) return undefined;
    if (hashKey === undefined) return this.fallback.choose();
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.points[mid]! < hashKey) lo = mid + 1;
      else hi = mid;
    }
    const set = this.hosts;
    const first = this.owners[lo % n]!;
    if (set.usable(first)) return first;
    if (set.available.length === 0) return undefined;
    for (let i = 1; i < n; i++) {
      const host = this.owners[(lo + i) % n]!;
      if (set.usable(host)) return host;
    }
    return undefined;
  }
}
