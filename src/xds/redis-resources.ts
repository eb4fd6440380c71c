/**
 * The Redis proxy's resources, in the same plain form as the MetaProtocol ones: a Redis listener is
 * an Envoy Listener whose network filter is `envoy.filters.network.redis_proxy` (Envoy's
 * `RedisProxy`, so the same translation can feed Envoy sidecars), and a Redis cluster is an ordinary
 * cluster with Redis options (upstream auth; Redis Cluster mode with its discovery settings).
 */

/** How read commands pick a node of a Redis Cluster shard (Envoy's `ReadPolicy`). */
export type RedisReadPolicy = 'MASTER' | 'PREFER_MASTER' | 'REPLICA' | 'PREFER_REPLICA' | 'ANY';

export const REDIS_READ_POLICIES: readonly RedisReadPolicy[] = [
  'MASTER',
  'PREFER_MASTER',
  'REPLICA',
  'PREFER_REPLICA',
  'ANY',
];

/** Envoy's `RedisProxy.ConnPoolSettings`. */
export interface RedisProxySettings {
  /** Per-operation timeout (Envoy `op_timeout`): no reply for this long fails the upstream connection. */
  readonly opTimeoutMs: number;
  /** Keys with the same hash tag go to the same endpoint (Envoy `enable_hashtagging`). */
  readonly enableHashtagging: boolean;
  /** Follow MOVED and ASK redirections (Envoy `enable_redirection`). */
  readonly enableRedirection: boolean;
  /**
   * Batch upstream writes until this many bytes are buffered (Envoy `max_buffer_size_before_flush`);
   * 0 = write once per event-loop turn.
   */
  readonly maxBufferSizeBeforeFlush: number;
  /** With batching, write at the latest this long after the first buffered command (default 3 ms). */
  readonly bufferFlushTimeoutMs: number;
  /** Upstream connections to hosts known only from redirections (Envoy default 100). */
  readonly maxUpstreamUnknownConnections: number;
  /** Per-command stats per upstream cluster too (Envoy `enable_command_stats`). */
  readonly enableCommandStats: boolean;
  readonly readPolicy: RedisReadPolicy;
}

/** A copy of a route's commands sent to another cluster; its replies are discarded. */
export interface RedisMirrorResource {
  readonly cluster: string;
  /** Share of commands mirrored, 0-100. */
  readonly percent: number;
  /** Mirror only commands that write. */
  readonly excludeReadCommands: boolean;
}

/** A key-prefix route (Envoy `PrefixRoutes.Route`). */
export interface RedisRouteResource {
  /** Keys starting with this go to `cluster`; empty for the catch-all route. */
  readonly prefix: string;
  /** Strip the prefix from keys before forwarding them. */
  readonly removePrefix: boolean;
  readonly cluster: string;
  readonly mirrors: readonly RedisMirrorResource[];
}

/** A fault injected into a share of commands (Envoy `RedisFault`). */
export interface RedisFaultResource {
  readonly type: 'DELAY' | 'ERROR';
  /** Share of commands, 0-100. */
  readonly percent: number;
  /** Delay before the command runs (DELAY) or before the error reply (ERROR); 0 = none. */
  readonly delayMs: number;
  /** Commands it applies to (lower-case); empty = every command except AUTH and PING. */
  readonly commands: readonly string[];
}

/** Passwords clients must give with AUTH (Envoy `downstream_auth_passwords` / `_username`). */
export interface RedisDownstreamAuth {
  /** With a username, AUTH takes `username password` (ACL style). */
  readonly username?: string;
  /** Any of these is accepted; at least one. */
  readonly passwords: readonly string[];
}

/** A Redis listener: one address and port, Envoy's redis_proxy config. */
export interface RedisListenerResource {
  /** `<address>_<port>`. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** `outbound|<port>||<host>`. */
  readonly statPrefix: string;
  readonly settings: RedisProxySettings;
  /** Prefix routes; the longest matching prefix wins. */
  readonly routes: readonly RedisRouteResource[];
  /** For keys no prefix matches; absent = such keys get "no upstream host". */
  readonly catchAllRoute?: RedisRouteResource;
  /** Match prefixes ignoring ASCII case (Envoy `PrefixRoutes.case_insensitive`). */
  readonly caseInsensitive: boolean;
  readonly faults: readonly RedisFaultResource[];
  readonly downstreamAuth?: RedisDownstreamAuth;
}

/** Credentials the proxy gives a Redis server (Envoy `RedisProtocolOptions`). */
export interface RedisUpstreamAuth {
  readonly username?: string;
  readonly password: string;
}

/** Redis options of a cluster (absent on clusters that are not Redis-specific). */
export interface RedisClusterOptions {
  /**
   * `proxy`: the endpoints are independent servers, keys spread over them by consistent hashing;
   * `cluster`: the endpoints are seeds of a Redis Cluster whose topology is discovered (Envoy
   * cluster type `envoy.clusters.redis`).
   */
  readonly mode: 'proxy' | 'cluster';
  readonly auth?: RedisUpstreamAuth;
  /**
   * Cluster mode: the nodes asked for the topology (Envoy's `load_assignment` of a Redis cluster;
   * the cluster's endpoints are the same). Empty in proxy mode.
   */
  readonly seeds: readonly { readonly address: string; readonly port: number }[];
  /** Cluster mode: topology refresh interval (Envoy `cluster_refresh_rate`, default 5 s). */
  readonly refreshRateMs: number;
  /** Cluster mode: deadline of a topology request (`cluster_refresh_timeout`, default 3 s). */
  readonly refreshTimeoutMs: number;
  /** Cluster mode: least time between refreshes triggered by redirections (default 5 s). */
  readonly redirectRefreshIntervalMs: number;
  /** Cluster mode: redirections that trigger a refresh (default 5; 0 = never). */
  readonly redirectRefreshThreshold: number;
  /** Cluster mode: upstream failures that trigger a refresh (default 0 = never). */
  readonly failureRefreshThreshold: number;
}

/** Envoy's defaults for a Redis Cluster's discovery settings. */
export const REDIS_CLUSTER_DEFAULTS = {
  refreshRateMs: 5000,
  refreshTimeoutMs: 3000,
  redirectRefreshIntervalMs: 5000,
  redirectRefreshThreshold: 5,
  failureRefreshThreshold: 0,
} as const;

/** Cluster names a Redis listener routes or mirrors to, in first-use order. */
export function redisListenerClusterRefs(listener: RedisListenerResource): string[] {
  const refs = new Set<string>();
  const routes =
    listener.catchAllRoute === undefined ? listener.routes : [...listener.routes, listener.catchAllRoute];
  for (const route of routes) {
    refs.add(route.cluster);
    for (const m of route.mirrors) refs.add(m.cluster);
  }
  return [...refs];
}

/** Whether a listener resource is a Redis one. */
export function isRedisListener(listener: object): listener is RedisListenerResource {
  return 'settings' in listener && 'faults' in listener;
}
