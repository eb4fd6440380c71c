import { hashString } from './hash.js';
import type { Host } from './host.js';
import type { HostSet } from './host-set.js';
import { RandomBalancer } from './load-balancer-random.js';
import type { LoadBalancer } from './load-balancer.js';

/** Lookup table size: a prime, as Maglev requires; Envoy's default is 65537. */
const TABLE_SIZE = 65537;

/**
 * Maglev consistent hashing (Envoy MAGLEV): every host fills slots of a fixed table following its
 * own permutation, in turns weighted by host weight, so a request's key picks a host with one array
 * read, and a host change remaps only about 1/N of the keys. The table holds the usable hosts only:
 * it is rebuilt when a host is ejected or taken back, as Envoy rebuilds it from the healthy hosts, so
 * the ejected host's keys spread over the others and everyone else's keys mostly stay put.
 */
export class MaglevBalancer implements LoadBalancer {
  private table: Int32Array = new Int32Array(0);
  private tableHosts: readonly Host[] = [];
  private readonly fallback: RandomBalancer;

  constructor(private readonly hosts: HostSet) {
    this.fallback = new RandomBalancer(hosts);
    this.onHealthChanged();
  }

  onHealthChanged(): void {
    const hosts = this.hosts.available;
    this.tableHosts = hosts;
    this.table = buildTable(hosts);
  }

  choose(hashKey: number | undefined): Host | undefined {
    if (this.tableHosts.length === 0) return undefined;
    if (hashKey === undefined) return this.fallback.choose();
    return this.tableHosts[this.table[hashKey % TABLE_SIZE]!];
  }
}

function buildTable(hosts: readonly Host[]): Int32Array {
  const table = new Int32Array(hosts.length === 0 ? 0 : TABLE_SIZE).fill(-1);
  if (hosts.length === 0) return table;
  // Sorting by key makes the table independent of endpoint order in the config.
  const order = hosts.map((_, i) => i).sort((a, b) => (hosts[a]!.key < hosts[b]!.key ? -1 : 1));
  const offsets = order.map(i => hashString(`${hosts[i]!.key}#offset`) % TABLE_SIZE);
  const skips = order.map(i => (hashString(`${hosts[i]!.key}#skip`) % (TABLE_SIZE - 1)) + 1);
  const next = new Array<number>(order.length).fill(0);
  const maxWeight = Math.max(...hosts.map(h => h.weight));
  const credit = new Array<number>(order.length).fill(0);
  let filled = 0;
  while (filled < TABLE_SIZE) {
    for (let o = 0; o < order.length && filled < TABLE_SIZE; o++) {
      const host = hosts[order[o]!]!;
      credit[o]! += host.weight / maxWeight;
      if (credit[o]! < 1) continue;
      credit[o]! -= 1;
      let slot: number;
      do {
        slot = (offsets[o]! + next[o]! * skips[o]!) % TABLE_SIZE;
        next[o]!++;
      } while (table[slot] !== -1);
      table[slot] = order[o]!;
      filled++;
    }
  }
  return table;
}
