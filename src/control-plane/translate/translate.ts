/**
 * From validated config to the resources a proxy runs (Aeraki's MetaProtocol translation):
 *
 * - for each ServiceEntry port served by the MetaProtocol proxy (`tcp-metaprotocol-<protocol>[-…]`,
 *   `tcp-thrift[-…]`, `tcp-dubbo[-…]`) whose protocol has a codec: a listener `<address>_<port>` per
 *   address of the entry, the route table `<hosts[0]>_<port>`, and clusters
 *   `outbound|<port>|<subset>|<host>` for every host of the entry and every subset of its DestinationRule;
 * - every cluster a route or mirror names, and the rate-limit service's cluster;
 * - the MetaRouter's local and global rate limits on the service's listeners (see rate-limits.ts).
 *
 * `exportTo` and MetaRouter `gateways` restrict nothing here: one proxy serves every service it is given.
 *
 * Pure and deterministic: the same config always gives the same snapshot and version. A config with
 * errors still translates (what cannot be built is left out) but should not be served.
 */
import { isWildcardHost, selectPortProtocol, singleAddress } from '../../api/index.js';
import type { ListenerResource, ProxySnapshot, RouteConfigResource } from '../../xds/resources.js';
import type { ConfigSet } from '../model/config-set.js';
import { ConfigIndex } from '../model/config-index.js';
import { ClusterBuilder } from './clusters.js';
import { DEFAULT_LISTENER_IDLE_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS } from './defaults.js';
import { buildRateLimits } from './rate-limits.js';
import { buildRouteTable } from './routes.js';
import { withContentVersion } from './snapshot-version.js';

export function translate(config: ConfigSet): ProxySnapshot {
  const index = new ConfigIndex(config);
  const clusters = new ClusterBuilder(index);
  const listeners = new Map<string, ListenerResource>();
  const routes = new Map<string, RouteConfigResource>();

  for (const entry of config.serviceEntries) {
    const spec = entry.resource.spec;
    const host = spec.hosts[0];
    if (host === undefined || isWildcardHost(host)) continue;
    for (const port of spec.ports) {
      const selected = selectPortProtocol(port.name);
      if (selected.family !== 'metaprotocol') continue;
      const binding = index.protocol(selected.protocol);
      const routeConfigName = `${host}_${port.number}`;
      if (binding === undefined || routes.has(routeConfigName)) continue;

      for (const h of spec.hosts) {
        if (isWildcardHost(h)) continue;
        clusters.want(port.number, '', h);
        for (const subset of index.destinationRuleFor(h)?.resource.spec.subsets ?? []) {
          clusters.want(port.number, subset.name, h);
        }
      }
      const router = index.metaRoutersFor(host)[0];
      routes.set(routeConfigName, buildRouteTable({ host, port: port.number, router }, index, clusters));
      const rateLimits = buildRateLimits(router, index, clusters);

      for (const written of spec.addresses ?? []) {
        const address = singleAddress(written);
        if (address === undefined) continue;
        const name = `${address}_${port.number}`;
        if (listeners.has(name)) continue;
        listeners.set(name, {
          name,
          address,
          port: port.number,
          protocol: selected.protocol,
          codec: binding.codec,
          routeConfigName,
          statPrefix: `outbound|${port.number}||${host}`,
          idleTimeoutMs: DEFAULT_LISTENER_IDLE_TIMEOUT_MS,
          requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
          multiplexing: binding.multiplexing,
          ...rateLimits,
        });
      }
    }
  }

  const built = clusters.build();
  const content = {
    listeners: sortByName([...listeners.values()]),
    clusters: built.clusters,
    endpoints: built.endpoints,
    routes: sortByName([...routes.values()]),
  };
  return withContentVersion(content);
}

function sortByName<T extends { readonly name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
