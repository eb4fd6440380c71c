/**
 * Aeraki's Redis translation (its `plugin/redis` generator), into Envoy's own redis_proxy resources:
 *
 * - for each ServiceEntry port named `tcp-redis[-…]`: a Redis listener `<address>_<port>` per address,
 *   stat prefix `outbound|<port>||<hosts[0]>`, op timeout 60s unless the RedisService sets one;
 * - without a RedisService: every key to the service's own cluster (catch-all route);
 * - with one: its routes (a key prefix route per `match.key`, the route without `match` as catch-all,
 *   its own cluster as catch-all when `redis` is empty), mirrors, faults and settings, downstream auth
 *   from `settings.auth`. Unlike Aeraki, `readPolicy: PREFER_REPLICA` stays PREFER_REPLICA and
 *   `caseInsensitive` and `maxUpstreamUnknownConnections` are honoured;
 * - clusters `outbound|<port>||<host>` as for any service, with Maglev hashing (a key keeps its
 *   server) and the host's RedisDestination: upstream auth, connect timeout, and in CLUSTER mode a
 *   Redis Cluster whose seeds are `discoveryEndpoints` (default port: the service port) or else the
 *   service's endpoints.
 *
 * A listener whose downstream credentials cannot be resolved (missing Secret) is left out rather than
 * served without auth; the config has an error then anyway.
 */
import {
  durationMs,
  faultTypeName,
  isWildcardHost,
  parseHostPort,
  readPolicyName,
  redisModeName,
  selectPortProtocol,
  singleAddress,
  type RedisRoute,
  type RedisRouteDestination,
  type RedisService,
  type ServiceEntry,
  type ServicePort,
} from '../../api/index.js';
import type { ClusterResource, EndpointAssignmentResource } from '../../xds/resources.js';
import {
  REDIS_CLUSTER_DEFAULTS,
  type RedisClusterOptions,
  type RedisListenerResource,
  type RedisProxySettings,
  type RedisRouteResource,
} from '../../xds/redis-resources.js';
import type { ConfigIndex } from '../model/config-index.js';
import type { ConfigObject, ConfigSet } from '../model/config-set.js';
import { RedisConfig } from '../model/redis-config.js';
import { DEFAULT_CONNECT_TIMEOUT_MS } from './defaults.js';
import type { ClusterWants } from './translation-memo.js';

/** Aeraki's op timeout for outbound Redis listeners. */
export const DEFAULT_REDIS_OP_TIMEOUT_MS = 60_000;

/** Where a Redis cluster of the translation points. */
interface RedisClusterTarget {
  readonly host: string;
  readonly port: number;
}

export interface RedisTranslation {
  readonly listeners: RedisListenerResource[];
  /** Finishes the clusters the listeners use, once the cluster builder made them. */
  finishClusters(
    clusters: ClusterResource[],
    endpoints: EndpointAssignmentResource[],
  ): { clusters: ClusterResource[]; endpoints: EndpointAssignmentResource[] };
}

/** `scope`: only the ports it imports get listeners. */
export function translateRedis(
  config: ConfigSet,
  index: ConfigIndex,
  clusters: ClusterWants,
  scope?: { imports(entry: ConfigObject<ServiceEntry>, port: ServicePort): boolean },
): RedisTranslation {
  const redis = new RedisConfig(config, index);
  const listeners = new Map<string, RedisListenerResource>();
  const targets = new Map<string, RedisClusterTarget>();
  const want = (destination: RedisRouteDestination, namespace: string, listenerPort: number): string => {
    const resolved = redis.destinationPort(destination, namespace, listenerPort) ?? {
      host: destination.host,
      port: destination.port !== undefined && destination.port > 0 ? destination.port : listenerPort,
    };
    const name = clusters.want(resolved.port, '', resolved.host);
    targets.set(name, resolved);
    return name;
  };

  for (const entry of config.serviceEntries) {
    const spec = entry.resource.spec;
    const host = spec.hosts[0];
    if (host === undefined || isWildcardHost(host)) continue;
    for (const port of spec.ports) {
      if (selectPortProtocol(port.name).family !== 'redis') continue;
      if (scope !== undefined && !scope.imports(entry, port)) continue;
      const service = redis.serviceFor(entry);
      const own = (): RedisRouteResource => ({
        prefix: '',
        removePrefix: false,
        cluster: want({ host }, entry.namespace, port.number),
        mirrors: [],
      });
      let routes: RedisRouteResource[] = [];
      let catchAllRoute: RedisRouteResource | undefined;
      if (service === undefined || (service.resource.spec.redis ?? []).length === 0) {
        catchAllRoute = own();
      } else {
        for (const route of service.resource.spec.redis ?? []) {
          const translated = translateRoute(route, r => want(r, service.namespace, port.number));
          if (route.match?.key?.prefix === undefined) catchAllRoute ??= translated;
          else routes.push(translated);
        }
      }
      routes = dedupe(routes);
      const downstreamAuth = downstream(redis, service);
      if (downstreamAuth === 'unresolved') continue;
      const settings = proxySettings(service?.resource.spec);
      for (const written of spec.addresses ?? []) {
        const address = singleAddress(written);
        if (address === undefined) continue;
        const name = `${address}_${port.number}`;
        if (listeners.has(name)) continue;
        listeners.set(name, {
          name,
          address,
          port: port.number,
          statPrefix: `outbound|${port.number}||${host}`,
          settings,
          routes,
          ...(catchAllRoute === undefined ? {} : { catchAllRoute }),
          caseInsensitive: service?.resource.spec.settings?.caseInsensitive === true,
          faults: (service?.resource.spec.faults ?? []).map(f => ({
            type: faultTypeName(f.type),
            percent: Math.min(100, Math.max(0, f.percentage?.value ?? 0)),
            delayMs: durationMs(f.delay, 0),
            commands: (f.commands ?? []).map(c => c.toLowerCase()),
          })),
          ...(downstreamAuth === undefined ? {} : { downstreamAuth }),
        });
      }
    }
  }

  return {
    listeners: [...listeners.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    finishClusters(builtClusters, builtEndpoints) {
      if (targets.size === 0) return { clusters: builtClusters, endpoints: builtEndpoints };
      const endpointsByName = new Map(builtEndpoints.map(e => [e.clusterName, e]));
      const outClusters = builtClusters.map(cluster => {
        const target = targets.get(cluster.name);
        return target === undefined
          ? cluster
          : redisCluster(redis, index, cluster, target, endpointsByName.get(cluster.name));
      });
      return { clusters: outClusters, endpoints: builtEndpoints };
    },
  };
}

function translateRoute(route: RedisRoute, want: (d: RedisRouteDestination) => string): RedisRouteResource {
  return {
    prefix: route.match?.key?.prefix ?? '',
    removePrefix: route.match?.key?.prefix !== undefined && route.match.key.removePrefix === true,
    cluster: want(route.route),
    mirrors: (route.mirror ?? []).map(m => ({
      cluster: want(m.route),
      percent: Math.min(100, Math.max(0, m.percentage?.value ?? 100)),
      excludeReadCommands: m.excludeReadCommands === true,
    })),
  };
}

/** The first route of each prefix (validation reports the others). */
function dedupe(routes: RedisRouteResource[]): RedisRouteResource[] {
  const seen = new Set<string>();
  return routes.filter(r => !seen.has(r.prefix) && seen.add(r.prefix) !== undefined);
}

function proxySettings(spec: RedisService['spec'] | undefined): RedisProxySettings {
  const s = spec?.settings;
  const maxBufferSizeBeforeFlush = s?.maxBufferSizeBeforeFlush ?? 0;
  return {
    opTimeoutMs: durationMs(s?.opTimeout, DEFAULT_REDIS_OP_TIMEOUT_MS),
    enableHashtagging: s?.enableHashtagging === true,
    enableRedirection: s?.enableRedirection === true,
    maxBufferSizeBeforeFlush,
    bufferFlushTimeoutMs: durationMs(s?.bufferFlushTimeout, 3),
    maxUpstreamUnknownConnections: s?.maxUpstreamUnknownConnections ?? 100,
    enableCommandStats: s?.enableCommandStats === true,
    readPolicy: readPolicyName(s?.readPolicy),
  };
}

function downstream(
  redis: RedisConfig,
  service: ConfigObject<RedisService> | undefined,
): RedisListenerResource['downstreamAuth'] | 'unresolved' {
  const auth = service?.resource.spec.settings?.auth;
  if (service === undefined || auth === undefined) return undefined;
  const resolved = redis.resolveAuth(auth, service.namespace);
  if ('problem' in resolved) return 'unresolved';
  const { username, password } = resolved.auth;
  return username === undefined ? { passwords: [password] } : { username, passwords: [password] };
}

/** A cluster a Redis listener uses: Maglev, and its RedisDestination's settings. */
function redisCluster(
  redis: RedisConfig,
  index: ConfigIndex,
  cluster: ClusterResource,
  target: RedisClusterTarget,
  endpoints: EndpointAssignmentResource | undefined,
): ClusterResource {
  const namespace = index.serviceEntriesFor(target.host)[0]?.namespace ?? '';
  const destination = redis.destinationFor(target.host, namespace);
  const pool = destination?.resource.spec.trafficPolicy?.connectionPool;
  const resolved =
    pool?.redis?.auth === undefined ? undefined : redis.resolveAuth(pool.redis.auth, destination!.namespace);
  const auth = resolved === undefined || 'problem' in resolved ? undefined : resolved.auth;
  const mode = redisModeName(pool?.redis?.mode) === 'CLUSTER' ? 'cluster' : 'proxy';
  let seeds: { address: string; port: number }[] = [];
  if (mode === 'cluster') {
    const written = pool?.redis?.discoveryEndpoints ?? [];
    seeds =
      written.length > 0
        ? written.flatMap(e => {
            const parsed = parseHostPort(e);
            return parsed === undefined ? [] : [{ address: parsed.host, port: parsed.port ?? target.port }];
          })
        : (endpoints?.endpoints ?? []).map(e => ({ address: e.address, port: e.port }));
  }
  const options: RedisClusterOptions = {
    mode,
    ...(auth === undefined ? {} : { auth }),
    seeds,
    ...REDIS_CLUSTER_DEFAULTS,
  };
  const maxConnections = pool?.tcp?.maxConnections ?? 0;
  return {
    ...cluster,
    // A Redis Cluster picks nodes by slot; its seeds are asked in random order.
    lbPolicy: mode === 'cluster' ? 'RANDOM' : 'MAGLEV',
    connectTimeoutMs: durationMs(pool?.tcp?.connectTimeout, DEFAULT_CONNECT_TIMEOUT_MS),
    ...(maxConnections > 0 ? { maxConnectionsPerEndpoint: maxConnections } : {}),
    redis: options,
  };
}
