import { ENVOY_DEFAULT_BUFFER_LIMIT_BYTES } from '../xds/resources.js';

/**
 * The proxy-wide bounds on what peers can make the proxy hold, with Envoy's defaults where Envoy has
 * the concept. Listeners and clusters may override the first three (xDS `per_connection_buffer_limit_bytes`,
 * MetaProtocolProxy `idle_timeout`); the rest hold for the whole proxy.
 */
export interface ProxyLimits {
  /**
   * Bytes one connection may hold in each direction before backpressure (Envoy's
   * `per_connection_buffer_limit_bytes`, 1 MiB): replies waiting for a slow client, requests of one
   * client in flight, requests waiting for an upstream that does not read. Above it the source is
   * paused; it resumes once half is gone.
   */
  readonly connectionBufferBytes: number;
  /**
   * Requests in flight on one downstream connection before the proxy stops reading it (it reads
   * again at half). The HTTP/2 equivalent is Envoy's `max_concurrent_streams`.
   */
  readonly maxConcurrentRequests: number;
  /** Close a downstream connection with nothing in flight after this long without bytes; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Close a connection holding part of a frame after this long without a byte of it; 0 = never. */
  readonly incompleteFrameTimeoutMs: number;
  /** Bytes held for incomplete frames across all downstream connections. */
  readonly maxIncompleteFrameBytes: number;
  /**
   * Overload manager: bytes held for connections (incomplete frames, requests in flight, replies
   * queued for clients) at which the proxy sheds load.
   */
  readonly maxBufferedBytes: number;
  /** Overload manager: V8 heap in use at which the proxy sheds load; 0 = V8's own heap limit. */
  readonly maxHeapBytes: number;
}

const MiB = 1024 * 1024;

export const DEFAULT_PROXY_LIMITS: ProxyLimits = {
  connectionBufferBytes: ENVOY_DEFAULT_BUFFER_LIMIT_BYTES,
  maxConcurrentRequests: 1024,
  // Envoy's TCP proxy and HTTP connection manager idle timeout.
  idleTimeoutMs: 3_600_000,
  incompleteFrameTimeoutMs: 30_000,
  maxIncompleteFrameBytes: 64 * MiB,
  maxBufferedBytes: 512 * MiB,
  maxHeapBytes: 0,
};
