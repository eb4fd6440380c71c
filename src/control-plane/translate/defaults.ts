/**
 * Values the translator uses where the config says nothing. Each follows Istio or Envoy unless noted.
 */
import {
  ENVOY_DEFAULT_CIRCUIT_BREAKERS,
  type CircuitBreakerLimits,
  type LbPolicy,
} from '../../xds/resources.js';

/**
 * Per-request timeout when the route sets none: 15s, Envoy's default route timeout. Aeraki sets none,
 * which lets a request without a reply hang forever.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

/*
 * Downstream idle timeout and per-connection buffer limit: not written, since no Istio or Aeraki field
 * sets them; each proxy then applies its own (`--idle-timeout`, default 1 h, Envoy's TCP proxy
 * default; `--connection-buffer-limit`, default 1 MiB, Envoy's `per_connection_buffer_limit_bytes`).
 */

/** Upstream connect timeout: Istio's `connectionPool.tcp.connectTimeout` default, 10s. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** Upstream idle timeout: Istio's TCP idle timeout default, 1h. */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 3_600_000;

/**
 * Connections per endpoint in a multiplexed pool: one, since a multiplexed connection already carries
 * any number of requests and every extra connection costs syscalls. Not configurable yet.
 */
export const DEFAULT_MULTIPLEXED_CONNECTIONS = 1;

/**
 * Heartbeat probes on idle upstream connections of protocols that have heartbeats (Dubbo): every 30s
 * of silence, half of Dubbo's own 60s default, so the proxy notices a dead peer before a client does.
 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;

/**
 * Load balancer when the DestinationRule sets none: round robin, as the original MetaProtocol proxy's
 * clusters use (Istio's HTTP default became LEAST_REQUEST in 1.14; set it explicitly to get that).
 */
export const DEFAULT_LB_POLICY: LbPolicy = 'ROUND_ROBIN';

/**
 * Deadline of a call to the rate-limit service when `globalRateLimit.requestTimeout` is unset: 20ms,
 * the default the original's API documents (Aeraki itself dereferences the unset field).
 */
export const DEFAULT_RATE_LIMIT_SERVICE_TIMEOUT_MS = 20;

/**
 * Circuit breakers for what a DestinationRule's `connectionPool` leaves unset: Envoy's defaults, 1024
 * connections, pending and active requests per cluster. Istio writes 2^32-1 instead, which lets one
 * service that stops answering pile up requests without bound; write 4294967295 to get that.
 */
export const DEFAULT_CIRCUIT_BREAKERS: CircuitBreakerLimits = ENVOY_DEFAULT_CIRCUIT_BREAKERS;

/**
 * Outlier detection values a DestinationRule leaves unset: Envoy's (5 consecutive errors, 10 s
 * interval, 30 s base ejection, 300 s longest ejection, 10 %), except `minHealthPercent`, which Istio
 * sets to 0 (never balance over ejected endpoints) where Envoy's panic threshold is 50 %.
 */
export const OUTLIER_DEFAULTS = {
  consecutiveErrors: 5,
  intervalMs: 10_000,
  baseEjectionMs: 30_000,
  maxEjectionMs: 300_000,
  maxEjectionPercent: 10,
  minHealthPercent: 0,
} as const;
