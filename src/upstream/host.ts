import type { EndpointResource } from '../xds/resources.js';

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

  constructor(endpoint: EndpointResource) {
    this.address = endpoint.address;
    this.port = endpoint.port;
    this.labels = endpoint.labels;
    this.weight = endpoint.weight > 0 ? endpoint.weight : 1;
    this.key = `${endpoint.address}:${endpoint.port}`;
  }
}

/** Hosts that may take requests; all of them when none is healthy (Envoy's panic mode). */
export function healthyOrAll(hosts: readonly Host[]): readonly Host[] {
  for (const h of hosts)
    if (!h.healthy) return hosts.some(x => x.healthy) ? hosts.filter(x => x.healthy) : hosts;
  return hosts;
}
