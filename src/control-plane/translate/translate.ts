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
 * Translated for a scope (translateScope), only the services the scope imports are translated, with
 * the MetaRouters and DestinationRules the scope sees (see model/proxy-scope.ts); translated whole
 * (translate), every service is, with the first MetaRouter and the most specific DestinationRule of
 * any namespace. MetaRouter `gateways` restrict nothing here.
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
import type { ConfigObject, ConfigSet } from '../model/config-set.js';
import { ConfigIndex } from '../model/config-index.js';
import type { ServiceEntry } from '../../api/index.js';
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
  memo.begin();
  const { snapshot } = translateWith(config, memo, index, undefined);
  memo.end();
  return snapshot;
}

/**
 * What one scope of proxies sees (TranslationScope: a namespace and its Sidecar), or the whole mesh
 * (`scope` undefined). Run between the memo's `begin()` and `end()` with the other translations of a
 * publish, or alone: what it builds then joins the memo's current translation. `invisibleClusters`
 * names the clusters its routes name that it may not see: a route to a service not exported to the
 * scope's namespace.
 */
export function translateScope(
  config: ConfigSet,
  memo: TranslationMemo,
  index: ConfigIndex,
  scope: TranslationScope | undefined,
): { snapshot: ProxySnapshot; invisibleClusters: ReadonlySet<string> } {
  return translateWith(config, memo, index, scope);
}

/** What a scope of proxies sees: see model/proxy-scope.ts (ProxyScope implements it). */
export interface TranslationScope extends PortLookups {
  /** Whether the scope imports this port of a ServiceEntry. */
  imports(entry: ConfigObject<ServiceEntry>, port: ServicePort): boolean;
  /** Whether the clusters of `host:port` may be sent to the scope. */
  seesServicePort(host: string, port: number): boolean;
}

function translateWith(
  config: ConfigSet,
  memo: TranslationMemo,
  index: ConfigIndex,
  scope: TranslationScope | undefined,
): { snapshot: ProxySnapshot; invisibleClusters: ReadonlySet<string> } {
  const lookups: PortLookups = scope ?? index;
  const clusters = new ClusterBuilder(index, memo, scope);
  const listeners = new Map<string, ListenerResource>();
  const routes = new Map<string, RouteConfigResource>();

  for (const entry of config.serviceEntries) {
    const spec = entry.resource.spec;
    const host = spec.hosts[0];
    if (host === undefined || isWildcardHost(host)) continue;
    for (const port of spec.ports) {
      const selected = selectPortProtocol(port.name);
      if (selected.family !== 'metaprotocol') continue;
      if (scope !== undefined && !scope.imports(entry, port)) continue;
      const routeConfigName = `${host}_${port.number}`;
      if (routes.has(routeConfigName)) continue;
      const translated = memo.port(routeConfigName, entry, port, lookups, clusters, (recorded, wants) =>
        translatePort(entry.resource.spec, host, port, selected.protocol, recorded, wants),
      );
      if (translated === undefined) continue;
      routes.set(routeConfigName, translated.routeTable);
      for (const listener of translated.listeners) {
        if (!listeners.has(listener.name)) listeners.set(listener.name, listener);
      }
    }
  }

  const redis = translateRedis(config, index, clusters, scope);
  const made = clusters.build();
  const built = redis.finishClusters(made.clusters, made.endpoints);
  const content = {
    listeners: sortByName([...listeners.values()]),
    clusters: built.clusters,
    endpoints: built.endpoints,
    routes: sortByName([...routes.values()]),
    ...(redis.listeners.length === 0 ? {} : { redisListeners: redis.listeners }),
  };
  return { snapshot: withContentVersion(content), invisibleClusters: made.invisible };
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
