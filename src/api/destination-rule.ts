/**
 * Istio `DestinationRule` (networking.istio.io v1alpha3, v1beta1, v1): subsets of a service's endpoints
 * and the traffic policy (load balancing, connection pool) of its clusters.
 *
 * `tls` is accepted so Istio YAML stays valid, but is not applied (a warning says so).
 */
import { z } from 'zod';
import { durationSchema } from './duration.js';
import type { Resource } from './metadata.js';

export const simpleLoadBalancers = [
  'UNSPECIFIED',
  'LEAST_CONN',
  'RANDOM',
  'PASSTHROUGH',
  'ROUND_ROBIN',
  'LEAST_REQUEST',
] as const;
export type SimpleLoadBalancer = (typeof simpleLoadBalancers)[number];

/**
 * Consistent-hash load balancing. Set exactly one hash key; MetaProtocol hashes a request metadata
 * value, so `httpHeaderName` names a metadata key (e.g. `method`) and the other keys are not usable.
 */
export interface ConsistentHashLB {
  readonly httpHeaderName?: string;
  readonly httpCookie?: { readonly name: string; readonly path?: string; readonly ttl?: string };
  readonly useSourceIp?: boolean;
  readonly httpQueryParameterName?: string;
  /** Ring hash (the default); `minimumRingSize` defaults to 1024 in Envoy. */
  readonly ringHash?: { readonly minimumRingSize?: number };
  /** Maglev instead of a ring. */
  readonly maglev?: { readonly tableSize?: number };
  /** Deprecated form of `ringHash.minimumRingSize`. */
  readonly minimumRingSize?: number;
}

export interface LoadBalancerSettings {
  /** One of `simple` and `consistentHash`. `LEAST_CONN` means `LEAST_REQUEST`; `PASSTHROUGH` is not supported. */
  readonly simple?: SimpleLoadBalancer;
  readonly consistentHash?: ConsistentHashLB;
  readonly localityLbSetting?: Readonly<Record<string, unknown>>;
  readonly warmupDurationSecs?: string;
}

export interface TcpSettings {
  /** Upper bound on upstream connections of the cluster (a circuit breaker); absent or 0 = unlimited. */
  readonly maxConnections?: number;
  /** TCP connect timeout; default 10s as in Istio. */
  readonly connectTimeout?: string;
  readonly tcpKeepalive?: { readonly probes?: number; readonly time?: string; readonly interval?: string };
  readonly maxConnectionDuration?: string;
  /** Close upstream connections idle this long; default 1h as in Istio. */
  readonly idleTimeout?: string;
}

export interface HttpSettings {
  /** Most requests waiting for a connection when `tcp.maxConnections` are busy; absent or 0 = unlimited. */
  readonly http1MaxPendingRequests?: number;
  /** Most requests in flight to the cluster; absent or 0 = unlimited. */
  readonly http2MaxRequests?: number;
  /** Requests an upstream connection carries before it is closed and replaced; absent or 0 = no limit. */
  readonly maxRequestsPerConnection?: number;
  readonly maxRetries?: number;
  readonly idleTimeout?: string;
  readonly h2UpgradePolicy?: string;
  readonly useClientProtocol?: boolean;
  readonly maxConcurrentStreams?: number;
}

export interface ConnectionPoolSettings {
  readonly tcp?: TcpSettings;
  /**
   * MetaProtocol clusters use the request limits (`http1MaxPendingRequests`, `http2MaxRequests`,
   * `maxRequestsPerConnection`), which Envoy applies to any protocol; the other fields are accepted
   * for Istio compatibility.
   */
  readonly http?: HttpSettings;
}

/** Ejection of endpoints that keep failing; see the translator for how each field maps to Envoy. */
export interface OutlierDetection {
  /** Deprecated: means `consecutiveGatewayErrors` (and turns `consecutive5xxErrors` off), as in Istio. */
  readonly consecutiveErrors?: number;
  /** Connect failures, timeouts and resets in a row that eject; default off. */
  readonly consecutiveGatewayErrors?: number;
  /** Failures of any kind in a row (error replies included) that eject; default 5, 0 = off. */
  readonly consecutive5xxErrors?: number;
  readonly consecutiveLocalOriginFailures?: number;
  readonly splitExternalLocalOriginErrors?: boolean;
  readonly interval?: string;
  readonly baseEjectionTime?: string;
  readonly maxEjectionPercent?: number;
  readonly minHealthPercent?: number;
}

/** The policies that can be set per port and per subset; a set field replaces the outer one whole. */
export interface PolicyFields {
  readonly loadBalancer?: LoadBalancerSettings;
  readonly connectionPool?: ConnectionPoolSettings;
  readonly outlierDetection?: OutlierDetection;
  readonly tls?: Readonly<Record<string, unknown>>;
}

export interface PortTrafficPolicy extends PolicyFields {
  readonly port: { readonly number: number };
}

export interface TrafficPolicy extends PolicyFields {
  /** Overrides for one port of the service. */
  readonly portLevelSettings?: readonly PortTrafficPolicy[];
  readonly tunnel?: Readonly<Record<string, unknown>>;
  readonly proxyProtocol?: Readonly<Record<string, unknown>>;
}

export interface Subset {
  /** DNS-1123 label; clusters are named `outbound|<port>|<name>|<host>`. */
  readonly name: string;
  /** Endpoints carrying all these labels belong to the subset; none = all endpoints. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Replaces the top-level policy field by field (loadBalancer, connectionPool, …). */
  readonly trafficPolicy?: TrafficPolicy;
}

export interface DestinationRuleSpec {
  /** Service host; a short name (`reviews`) means `reviews.<namespace>.svc.cluster.local`. */
  readonly host: string;
  readonly trafficPolicy?: TrafficPolicy;
  readonly subsets?: readonly Subset[];
  readonly exportTo?: readonly string[];
  readonly workloadSelector?: { readonly matchLabels?: Readonly<Record<string, string>> };
}

export type DestinationRule = Resource<'DestinationRule', DestinationRuleSpec>;

const uint32 = z.number().int().min(0).max(4294967295);
const percent = z.number().int().min(0).max(100);

const consistentHashSchema = z.strictObject({
  httpHeaderName: z.string().optional(),
  httpCookie: z
    .strictObject({ name: z.string().min(1), path: z.string().optional(), ttl: durationSchema.optional() })
    .optional(),
  useSourceIp: z.boolean().optional(),
  httpQueryParameterName: z.string().optional(),
  ringHash: z.strictObject({ minimumRingSize: uint32.optional() }).optional(),
  maglev: z.strictObject({ tableSize: uint32.optional() }).optional(),
  minimumRingSize: uint32.optional(),
});

const loadBalancerSchema = z.strictObject({
  simple: z.enum(simpleLoadBalancers).optional(),
  consistentHash: consistentHashSchema.optional(),
  localityLbSetting: z.looseObject({}).optional(),
  warmupDurationSecs: durationSchema.optional(),
});

const connectionPoolSchema = z.strictObject({
  tcp: z
    .strictObject({
      maxConnections: z.number().int().min(0).optional(),
      connectTimeout: durationSchema.optional(),
      tcpKeepalive: z
        .strictObject({
          probes: uint32.optional(),
          time: durationSchema.optional(),
          interval: durationSchema.optional(),
        })
        .optional(),
      maxConnectionDuration: durationSchema.optional(),
      idleTimeout: durationSchema.optional(),
    })
    .optional(),
  http: z
    .strictObject({
      http1MaxPendingRequests: z.number().int().min(0).optional(),
      http2MaxRequests: z.number().int().min(0).optional(),
      maxRequestsPerConnection: z.number().int().min(0).optional(),
      maxRetries: z.number().int().min(0).optional(),
      idleTimeout: durationSchema.optional(),
      h2UpgradePolicy: z.enum(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']).optional(),
      useClientProtocol: z.boolean().optional(),
      maxConcurrentStreams: z.number().int().min(0).optional(),
    })
    .optional(),
});

const outlierDetectionSchema = z.strictObject({
  consecutiveErrors: z.number().int().min(0).optional(),
  consecutiveGatewayErrors: uint32.optional(),
  consecutive5xxErrors: uint32.optional(),
  consecutiveLocalOriginFailures: uint32.optional(),
  splitExternalLocalOriginErrors: z.boolean().optional(),
  interval: durationSchema.optional(),
  baseEjectionTime: durationSchema.optional(),
  maxEjectionPercent: percent.optional(),
  minHealthPercent: percent.optional(),
});

const policyFields = {
  loadBalancer: loadBalancerSchema.optional(),
  connectionPool: connectionPoolSchema.optional(),
  outlierDetection: outlierDetectionSchema.optional(),
  tls: z.looseObject({}).optional(),
};

const trafficPolicySchema = z.strictObject({
  ...policyFields,
  portLevelSettings: z
    .array(
      z.strictObject({
        port: z.strictObject({ number: z.number().int().min(1).max(65535) }),
        ...policyFields,
      }),
    )
    .optional(),
  tunnel: z.looseObject({}).optional(),
  proxyProtocol: z.looseObject({}).optional(),
});

export const destinationRuleSpecSchema: z.ZodType<DestinationRuleSpec> = z.strictObject({
  host: z.string().min(1),
  trafficPolicy: trafficPolicySchema.optional(),
  subsets: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        labels: z.record(z.string(), z.string()).optional(),
        trafficPolicy: trafficPolicySchema.optional(),
      }),
    )
    .optional(),
  exportTo: z.array(z.string()).optional(),
  workloadSelector: z.strictObject({ matchLabels: z.record(z.string(), z.string()).optional() }).optional(),
});
