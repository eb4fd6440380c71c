import type { Host } from './host.js';

/**
 * The hosts of a cluster and the ones load balancers may choose from: the healthy ones, or all of them
 * when too few are healthy (Envoy's panic mode: below `panicThresholdPercent` % healthy, balance over
 * every host rather than overload the few left; 0 = never). The choice list is rebuilt when a host's
 * health changes, not per request.
 */
export class HostSet {
  /** Hosts to choose from; empty when none is healthy and panic mode is off. */
  available: readonly Host[];
  /** Whether the set is in panic mode (unhealthy hosts are used too). */
  panic = false;

  constructor(
    readonly all: readonly Host[],
    private panicThresholdPercent = 0,
  ) {
    this.available = all;
    this.refresh();
  }

  /** Whether balancers may pick `host` now. */
  usable(host: Host): boolean {
    return host.healthy || this.panic;
  }

  /** Changes the panic threshold (cluster update). */
  setPanicThreshold(percent: number): void {
    this.panicThresholdPercent = percent;
    this.refresh();
  }

  /** Recomputes the choice list after hosts' health changed. */
  refresh(): void {
    const all = this.all;
    let healthy = 0;
    for (const h of all) if (h.healthy) healthy++;
    this.panic = all.length > 0 && healthy * 100 < this.panicThresholdPercent * all.length;
    this.available = healthy === all.length || this.panic ? all : all.filter(h => h.healthy);
  }
}
