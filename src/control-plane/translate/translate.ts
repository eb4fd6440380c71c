/**
 * From validated config to the resources a proxy runs (Aeraki's MetaProtocol translation):
 *
 * - for each ServiceEntry port served by the MetaProtocol proxy (`tcp-metaprotocol-<protocol>[-…]`,
 *   `tcp-thrift[-…]`, `tcp-dubbo[-…]`) whose protocol has a codec: a listener `<address>_<port>` per
 *   address of the entry, the route table `<hosts[0]>_<port>`, and clusters
 *   `outbound|<port>|<subset>|<host>` for every host of the entry and every subset of its DestinationRule;
 * - every cluster a route or mirror names, and the rate-limit service's cluster;
 * - the MetaRouter's local and global rate limits on the service's listeners (see rate-limits.ts), and
 *   its filter chain (`spec.filters`, see filters.ts);
 * - for `tcp-redis[-…]` ports, Redis listeners and clusters (see redis.ts).
 *
 * `exportTo` and MetaRouter `gateways` restrict nothing here: one proxy serves every service it is given.
 *
 * Pure and deterministic: the same config always gives the same snapshot and version. A config with
 * errors still translates (what cannot be built is left out) but should not be served.
 */
import {
  isWildcardHost,
  selectPortProtocol,
  singleAddress,
  type ServiceEntrySpec,
  type ServicePort,
} from '../../api/index.js';
import type { ListenerResource, ProxySnapshot, RouteConfigResource } from '../../xds/resources.js';
import type { ConfigSet } from '../model/config-set.js';
import { ConfigIndex } from '../model/config-index.js';
import { ClusterBuilder } from './clusters.js';
import { DEFAULT_REQUEST_TIMEOUT_MS } from './defaults.js';
import { buildFilterChain } from './filters.js';
import { buildRateLimits } from './rate-limits.js';
import { translateRedis } from './redis.js';
import { buildRouteTable } from './routes.js';
import { withContentVersion } from './snapshot-version.js';
import {
  TranslationMemo,
  type ClusterWants,
  type PortLookups,
  type PortTranslation,
} from './translation-memo.js';

/**
 * `memo` keeps what this translation builds for the next one, which reuses whatever inputs did not
 * change (see TranslationMemo); the result is the same with or without it. `index` must be built over
 * `config` (buildConfig hands one on).
 */
export function translate(
  config: ConfigSet,
  memo = new TranslationMemo(),
  index = new ConfigIndex(config),
): ProxySnapshot {
  const clusters = new ClusterBuilder(index, memo);
  const listeners = new Map<string, ListenerResource>();
  const routes = new Map<string, RouteConfigResource>();
  memo.begin();

  for (const entry of config.serviceEntries) {
    const spec = entry.resource.spec;
    const host = spec.hosts[0];
    if (host === undefined || isWildcardHost(host)) continue;
    for (const port of spec.ports) {
      const selected = selectPortProtocol(port.name);
      if (selected.family !== 'metaprotocol') continue;
      const routeConfigName = `${host}_${port.number}`;
      if (routes.has(routeConfigName)) continue;
      const translated = memo.port(routeConfigName, entry, port, index, clusters, (lookups, wants) =>
        translatePort(entry.resource.spec, host, port, selected.protocol, lookups, wants),
      );
      if (translated === undefined) continue;
      routes.set(routeConfigName, translated.routeTable);
      for (const listener of translated.listeners) {
        if (!listeners.has(listener.name)) listeners.set(listener.name, listener);
      }
    }
  }

  const redis = translateRedis(config, index, clusters);
  const made = clusters.build();
  const built = redis.finishClusters(made.clusters, made.endpoints);
  memo.end();
  const content = {
    listeners: sortByName([...listeners.values()]),
    clusters: built.clusters,
    endpoints: built.endpoints,
    routes: sortByName([...routes.values()]),
    ...(redis.listeners.length === 0 ? {} : { redisListeners: redis.listeners }),
  };
  return withContentVersion(content);
}

/** One MetaProtocol port of a ServiceEntry: its route table, its listeners, the clusters they use. */
function translatePort(
  spec: ServiceEntrySpec,
  host: string,
  port: ServicePort,
  protocol: string,
  lookups: PortLookups,
  clusters: ClusterWants,
): PortTranslation {
  const binding = lookups.protocol(protocol);
  if (binding === undefined) return undefined;
  for (const h of spec.hosts) {
    if (isWildcardHost(h)) continue;
    clusters.want(port.number, '', h);
    for (const subset of lookups.destinationRuleFor(h)?.resource.spec.subsets ?? []) {
      clusters.want(port.number, subset.name, h);
    }
  }
  const router = lookups.metaRouterFor(host);
  const routeTable = buildRouteTable({ host, port: port.number, router }, lookups, clusters);
  const rateLimits = buildRateLimits(router, lookups, clusters);
  const filterChain = buildFilterChain(router, rateLimits);
  const listeners = new Map<string, ListenerResource>();
  for (const written of spec.addresses ?? []) {
    const address = singleAddress(written);
    if (address === undefined) continue;
    const name = `${address}_${port.number}`;
    if (listeners.has(name)) continue;
    listeners.set(name, {
      name,
      address,
      port: port.number,
      protocol,
      codec: binding.codec,
      ...(binding.codecConfig === undefined ? {} : { codecConfig: binding.codecConfig }),
      routeConfigName: routeTable.name,
      statPrefix: `outbound|${port.number}||${host}`,
      requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      multiplexing: binding.multiplexing,
      ...rateLimits,
      ...filterChain,
    });
  }
  return { routeTable, listeners: [...listeners.values()] };
}

function sortByName<T extends { readonly name: string }>(items: T[]): T[] {
  return items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
