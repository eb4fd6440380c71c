import type { CodecFactory } from '../codec/index.js';
import type { EndpointResource } from '../xds/resources.js';
import type { ConnectionPool } from './connection-pool.js';

/** One endpoint of a cluster as the load balancer sees it. */
export class Host {
  /** `address:port`, the identity of the endpoint. */
  readonly key: string;
  readonly address: string;
  readonly port: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly weight: number;
  /** Requests sent to this host and not finished; least-request balancing reads it. */
  activeRequests = 0;
  /** Whether the host may receive requests. */
  healthy = true;
  /**
   * This host's pools by codec, one map per pool kind. Keyed by the factory object, so the lookup
   * on every request hashes no string.
   */
  readonly multiplexedPools = new Map<CodecFactory, ConnectionPool>();
  readonly exclusivePools = new Map<CodecFactory, ConnectionPool>();

  constructor(endpoint: EndpointResource) {
    this.address = endpoint.address;
    this.port = endpoint.port;
    this.labels = endpoint.labels;
    this.weight = endpoint.weight > 0 ? endpoint.weight : 1;
    this.key = `${endpoint.address}:${endpoint.port}`;
  }
}

/** Drains and forgets every pool of `host`. */
export function drainHostPools(host: Host): void {
  for (const pool of host.multiplexedPools.values()) pool.drain();
  for (const pool of host.exclusivePools.values()) pool.drain();
  host.multiplexedPools.clear();
  host.exclusivePools.clear();
}

/** Hosts that may take requests; all of them when none is healthy (Envoy's panic mode). */
export function healthyOrAll(hosts: readonly Host[]): readonly Host[] {
  for (const h of hosts)
    if (!h.healthy) return hosts.some(x => x.healthy) ? hosts.filter(x => x.healthy) : hosts;
  return hosts;
}
