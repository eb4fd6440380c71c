/**
 * The resources the data plane runs on: listeners, clusters, endpoint assignments and MetaProtocol
 * route tables. They mirror the Envoy v3 xDS resources Aeraki emits (Listener with a MetaProtocolProxy
 * filter, Cluster, ClusterLoadAssignment, RouteConfiguration) in a plain TypeScript form, and are the
 * only thing the control plane and the proxy share: the translator produces them, the proxy applies
 * them, the xDS layer encodes them to and from protobuf.
 *
 * Names follow Aeraki: listener `<address>_<port>`, cluster `outbound|<port>|<subset>|<host>`,
 * route table `<host>_<port>`.
 */
import type { RedisClusterOptions, RedisListenerResource } from './redis-resources.js';

export type * from './redis-resources.js';

/** A MetaProtocol listener: one address and port, one application protocol, one route table. */
export interface ListenerResource {
  /** `<address>_<port>`. */
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Application protocol name, e.g. `thrift` (the third dash-segment of the port name). */
  readonly protocol: string;
  /** Codec name, e.g. `aeraki.meta_protocol.codec.thrift`. */
  readonly codec: string;
  /** The codec's own settings, if any. */
  readonly codecConfig?: unknown;
  /** Name of the route table (`<host>_<port>`). */
  readonly routeConfigName: string;
  /** Stats prefix, `outbound|<port>||<host>`. */
  readonly statPrefix: string;
  /**
   * Close downstream connections idle (no request in flight, no bytes) this long; 0 = never;
   * absent = the proxy's default (1 h, Envoy's TCP proxy default).
   */
  readonly idleTimeoutMs?: number;
  /**
   * Bytes a downstream connection may buffer in each direction before backpressure (Envoy's
   * `per_connection_buffer_limit_bytes`); absent = the proxy's default (1 MiB).
   */
  readonly perConnectionBufferLimitBytes?: number;
  /** Default per-request timeout when the route sets none; 0 = none. */
  readonly requestTimeoutMs: number;
  /** Share upstream connections between downstream connections (needs codec request ids). */
  readonly multiplexing: boolean;
  /** Token buckets in this proxy; runs first in the filter chain. */
  readonly localRateLimit?: LocalRateLimitResource;
  /** Asks an Envoy rate-limit service; runs after the local rate limit, before the router. */
  readonly globalRateLimit?: GlobalRateLimitResource;
  /**
   * The filters before the router, in the order they run, when the chain is more than the rate
   * limits: each names a filter of the proxy's registry and carries its config. The rate limits
   * appear here by name alone, where they run; their config is {@link localRateLimit} and
   * {@link globalRateLimit}. Absent: the local rate limit, then the global one (those set).
   */
  readonly filters?: readonly ListenerFilterResource[];
}

/** One entry of a listener's filter chain (`meta_protocol_filters`), the router excepted. */
export interface ListenerFilterResource {
  /** `aeraki.meta_protocol.filters.<name>`. */
  readonly name: string;
  /** The filter's config, a JSON object; absent for the rate limits and for a filter given none. */
  readonly config?: Readonly<Record<string, unknown>>;
}

/** A token bucket (Envoy `envoy.type.v3.TokenBucket`); it starts full. */
export interface TokenBucketResource {
  /** Bucket size, ≥ 1. */
  readonly maxTokens: number;
  /** Tokens added every `fillIntervalMs`, ≥ 1. */
  readonly tokensPerFill: number;
  /** ≥ 50 ms, as in the original. */
  readonly fillIntervalMs: number;
}

/** Local rate limit (metaprotocol.md §4.4): ordered conditions, then an optional default bucket. */
export interface LocalRateLimitResource {
  /** Requests matching no condition take from this bucket; absent = not limited. */
  readonly tokenBucket?: TokenBucketResource;
  /** First match wins; each condition has its own bucket. */
  readonly conditions: readonly {
    readonly match: readonly AttributeMatcher[];
    readonly tokenBucket: TokenBucketResource;
  }[];
}

/** Global rate limit (metaprotocol.md §4.5): Envoy's `RateLimitService/ShouldRateLimit`. */
export interface GlobalRateLimitResource {
  /** Requests the service is asked about (all must match); empty = every request. */
  readonly match: readonly AttributeMatcher[];
  readonly domain: string;
  /** Deadline of each call to the service. */
  readonly timeoutMs: number;
  /** Reject requests when the service cannot answer (else let them pass). */
  readonly failureModeDeny: boolean;
  /** The cluster of the rate-limit service (`outbound|<port>|<subset>|<host>`). */
  readonly rateLimitCluster: string;
  /** One descriptor per entry: `{descriptorKey: value of request metadata property}`. */
  readonly descriptors: readonly { readonly property: string; readonly descriptorKey: string }[];
}

/** Load-balancing policies, named as in Envoy's `Cluster.LbPolicy`. */
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV';

/** An upstream cluster: how to pick and connect to its endpoints. */
export interface ClusterResource {
  /** `outbound|<port>|<subset>|<host>`. */
  readonly name: string;
  readonly lbPolicy: LbPolicy;
  /** TCP connect timeout. */
  readonly connectTimeoutMs: number;
  /** Close pooled upstream connections idle this long; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Upper bound on connections per endpoint (exclusive pools), 0 = unlimited. */
  readonly maxConnectionsPerEndpoint: number;
  /** Upstream connections per endpoint in a multiplexed pool. */
  readonly multiplexedConnections: number;
  /**
   * For protocols with heartbeats: probe a connection that has received nothing for this long, and
   * close it when two probes in a row go unanswered. 0 = never.
   */
  readonly heartbeatIntervalMs: number;
  /**
   * Cluster-wide limits (Envoy `circuit_breakers.thresholds`, DEFAULT priority); absent = Envoy's
   * defaults, 1024 each ({@link ENVOY_DEFAULT_CIRCUIT_BREAKERS}).
   */
  readonly circuitBreakers?: CircuitBreakerLimits;
  /**
   * Bytes an upstream connection may hold unsent before requests wait for it (Envoy's
   * `per_connection_buffer_limit_bytes`); absent = the proxy's default (1 MiB).
   */
  readonly perConnectionBufferLimitBytes?: number;
  /**
   * Requests one upstream connection carries before it is closed and replaced (Envoy
   * `max_requests_per_connection`, Istio `http.maxRequestsPerConnection`); absent = no limit.
   */
  readonly maxRequestsPerConnection?: number;
  /** Ejection of misbehaving endpoints (Envoy `outlier_detection`); absent = off. */
  readonly outlierDetection?: OutlierDetectionSettings;
  /** Redis options (auth, Redis Cluster mode), for clusters a Redis listener uses; absent otherwise. */
  readonly redis?: RedisClusterOptions;
}

/**
 * Envoy's cluster circuit breakers: each bounds a gauge of the whole cluster, and a request that
 * would go beyond one gets an over-limit local reply. A limit a DestinationRule leaves unset is
 * Envoy's default, 1024 (Istio writes 2^32-1 instead, which leaves a cluster unbounded).
 */
export interface CircuitBreakerLimits {
  /** Upstream connections open or opening (`max_connections`; Istio `tcp.maxConnections`). */
  readonly maxConnections: number;
  /**
   * Requests waiting for a connection because no more may be opened (`max_pending_requests`;
   * Istio `http.http1MaxPendingRequests`).
   */
  readonly maxPendingRequests: number;
  /** Requests in flight, waiting ones included (`max_requests`; Istio `http.http2MaxRequests`). */
  readonly maxRequests: number;
}

/** Envoy's `per_connection_buffer_limit_bytes` when a listener or cluster sets none: 1 MiB. */
export const ENVOY_DEFAULT_BUFFER_LIMIT_BYTES = 1024 * 1024;

/** Envoy's circuit breakers when a cluster sets none: 1024 connections, pending and active requests. */
export const ENVOY_DEFAULT_CIRCUIT_BREAKERS: CircuitBreakerLimits = Object.freeze({
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
});

/**
 * Envoy's outlier detection as Istio configures it: an endpoint that fails this many times in a row is
 * ejected (left out of load balancing) for `baseEjectionMs` times the number of its ejections so far,
 * and taken back on the first `intervalMs` tick after that.
 */
export interface OutlierDetectionSettings {
  /**
   * Consecutive failures of any kind (error responses, connect failures, timeouts, resets) that eject;
   * 0 = never (Envoy `consecutive_5xx` with `enforcing_consecutive_5xx`).
   */
  readonly consecutiveErrors: number;
  /**
   * Consecutive gateway failures (connect failures, timeouts, resets; not error responses) that eject;
   * 0 = never (Envoy `consecutive_gateway_failure` with `enforcing_consecutive_gateway_failure`).
   */
  readonly consecutiveGatewayErrors: number;
  /** How often ejections are reviewed (`interval`). */
  readonly intervalMs: number;
  /** Ejection time per ejection so far (`base_ejection_time`). */
  readonly baseEjectionMs: number;
  /** Longest ejection (`max_ejection_time`). */
  readonly maxEjectionMs: number;
  /** Most endpoints ejected at once, in percent of the cluster; one may always be (`max_ejection_percent`). */
  readonly maxEjectionPercent: number;
  /**
   * Below this percentage of endpoints not ejected, balance over all of them (Envoy
   * `common_lb_config.healthy_panic_threshold`, Istio `minHealthPercent`); 0 = never.
   */
  readonly minHealthPercent: number;
}

/** One upstream endpoint. */
export interface EndpointResource {
  readonly address: string;
  readonly port: number;
  /** Labels from the ServiceEntry endpoint (version, app, …). */
  readonly labels: Readonly<Record<string, string>>;
  /** Relative weight for load balancing (default 1). */
  readonly weight: number;
}

/** The endpoints of one cluster (Envoy `ClusterLoadAssignment`). */
export interface EndpointAssignmentResource {
  readonly clusterName: string;
  readonly endpoints: readonly EndpointResource[];
}

/** How an attribute is matched (Envoy `HeaderMatcher` subset used by Aeraki). */
export type AttributeMatcher =
  | { readonly name: string; readonly kind: 'exact'; readonly value: string }
  | { readonly name: string; readonly kind: 'prefix'; readonly value: string }
  /** RE2 syntax, matched against the whole value. */
  | { readonly name: string; readonly kind: 'regex'; readonly value: string }
  | { readonly name: string; readonly kind: 'present' };

/** A cluster with a relative weight. */
export interface WeightedCluster {
  readonly name: string;
  readonly weight: number;
}

/** A copy of matching requests sent to another cluster; its replies are discarded. */
export interface MirrorPolicy {
  readonly cluster: string;
  /** Share of requests mirrored, 0–100. */
  readonly percent: number;
}

/** A key/value written into a message's headers. */
export interface HeaderValue {
  readonly key: string;
  readonly value: string;
}

/** One route: first match wins. */
export interface RouteResource {
  readonly name: string;
  /** All must match (AND); empty matches everything. */
  readonly match: readonly AttributeMatcher[];
  /** One cluster, or several with weights. */
  readonly action:
    | { readonly cluster: string }
    | { readonly weightedClusters: readonly WeightedCluster[]; readonly totalWeight: number };
  /** Metadata keys whose values are hashed for consistent-hash load balancing. */
  readonly hashPolicy: readonly string[];
  readonly mirrors: readonly MirrorPolicy[];
  readonly requestMutation: readonly HeaderValue[];
  readonly responseMutation: readonly HeaderValue[];
  /** Per-route request timeout; undefined = the listener's default. */
  readonly timeoutMs?: number;
  /** Faults injected into a share of the route's requests (extension); undefined = none. */
  readonly fault?: FaultResource;
  /** Retries of failed tries (extension); undefined = no retry. */
  readonly retryPolicy?: RetryPolicyResource;
}

/**
 * Error kinds an injected abort answers with, as users write them (MetaRouter `fault.abort.errorKind`);
 * the proxy maps each to one of its local replies.
 */
export type FaultErrorKind =
  'unavailable' | 'connect-failure' | 'reset' | 'timeout' | 'over-limit' | 'bad-request' | 'internal';

/** Faults for a share of a route's requests: a delay before routing, then possibly an abort. */
export interface FaultResource {
  readonly delay?: { readonly fixedDelayMs: number; /** 0–100. */ readonly percent: number };
  readonly abort?: {
    readonly errorKind: FaultErrorKind;
    /** 0–100. */
    readonly percent: number;
    /** Text of the error reply; undefined = one naming the route and the fault. */
    readonly message?: string;
  };
}

/** Conditions under which a failed try is retried (Envoy `retry_on` names). */
export type RetryOnCondition = 'connect-failure' | 'reset';

/** How a route retries: only failures where no byte of the reply came back, never one-way requests. */
export interface RetryPolicyResource {
  /** Retries after the first try. */
  readonly attempts: number;
  /** Time allowed to each try; undefined = only the route timeout bounds them. */
  readonly perTryTimeoutMs?: number;
  readonly retryOn: readonly RetryOnCondition[];
}

/** A MetaProtocol route table (Aeraki's RDS RouteConfiguration `<host>_<port>`). */
export interface RouteConfigResource {
  readonly name: string;
  readonly routes: readonly RouteResource[];
}

/** Everything one proxy runs, as one consistent set. */
export interface ProxySnapshot {
  readonly version: string;
  readonly listeners: readonly ListenerResource[];
  readonly clusters: readonly ClusterResource[];
  readonly endpoints: readonly EndpointAssignmentResource[];
  readonly routes: readonly RouteConfigResource[];
  /** Redis listeners (Envoy `redis_proxy`), carried as Listeners too; absent = none. */
  readonly redisListeners?: readonly RedisListenerResource[];
}
