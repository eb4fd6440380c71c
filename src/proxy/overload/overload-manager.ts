import { getHeapStatistics } from 'node:v8';
import type { Logger } from 'pino';
import type { ProxyLimits } from '../proxy-limits.js';

/**
 * The resources the overload manager watches, each as a pressure from 0 (nothing used) to 1 (its
 * limit), like Envoy's resource monitors (`fixed_heap`, and a buffer-size one of our own).
 */
export type OverloadResource = 'heap' | 'buffered';

/** What the overload manager does, with Envoy's action names. */
export type OverloadAction = 'stop_accepting_connections' | 'stop_accepting_requests';

/**
 * The pressure at which each action starts (Envoy's threshold triggers): new connections are refused
 * first, then new requests get the protocol's over-limit reply. Both stop once the pressure is back
 * under the threshold at a later check.
 */
export const OVERLOAD_THRESHOLDS: Readonly<Record<OverloadAction, number>> = {
  stop_accepting_connections: 0.9,
  stop_accepting_requests: 0.95,
};

/** How often the resources are measured (Envoy's `refresh_interval` in its documented example). */
const REFRESH_MS = 250;

/**
 * Garbage collection to give memory back: when V8's external memory (Buffers) exceeds what the proxy
 * holds by this much, and has stopped moving, the buffers of gone peers wait for a full collection
 * that an idle process never runs. At most once per {@link COLLECT_INTERVAL_MS}.
 */
const RELEASE_GARBAGE_BYTES = 16 * 1024 * 1024;
const STEADY_BYTES = 1024 * 1024;
const COLLECT_INTERVAL_MS = 10_000;

/**
 * Keeps the proxy up when peers together ask for more than it can hold. Every {@link REFRESH_MS} it
 * measures the V8 heap in use against `maxHeapBytes` (V8's own limit by default: the process dies
 * there) and the bytes held for connections against `maxBufferedBytes`; when the higher pressure
 * passes a threshold, it sheds load: listeners refuse new connections (accepted and closed at once),
 * then connections answer new requests with the protocol's over-limit reply. Connections and requests
 * already accepted are served.
 *
 * It also owns the proxy-wide count of bytes held for incomplete frames, bounded by
 * `maxIncompleteFrameBytes` (checked on every read, not on the refresh).
 */
export class OverloadManager {
  /** Bytes held now for frames not yet complete, across all downstream connections. */
  incompleteFrameBytes = 0;
  /** Bytes of requests decoded and not finished, across all downstream connections. */
  inFlightRequestBytes = 0;
  /** Whether listeners accept connections (false while `stop_accepting_connections` is active). */
  acceptingConnections = true;
  /** Whether connections accept requests (false while `stop_accepting_requests` is active). */
  acceptingRequests = true;
  /** The latest pressure of each resource. */
  readonly pressure: Record<OverloadResource, number> = { heap: 0, buffered: 0 };
  /** Bytes held for connections at the latest check. */
  bufferedBytes = 0;
  /** Full collections run to give memory back. */
  collections = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly maxHeapBytes: number;
  private lastExternal = 0;
  private lastCollection = 0;

  /**
   * @param queuedBytes bytes waiting in downstream connections' write queues now (replies not yet
   *   taken by clients); read at each check.
   * @param collectGarbage a full collection (node's `gc` when exposed): run to give back the memory of
   *   buffers the proxy no longer holds, e.g. once attackers are gone; without it, V8 decides alone.
   */
  constructor(
    readonly limits: ProxyLimits,
    private readonly queuedBytes: () => number = () => 0,
    private readonly logger?: Logger,
    private readonly collectGarbage?: () => void,
  ) {
    this.maxHeapBytes = limits.maxHeapBytes > 0 ? limits.maxHeapBytes : getHeapStatistics().heap_size_limit;
  }

  /** Starts the periodic checks (the timer does not keep the process alive). */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(refresh, REFRESH_MS, this);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Whether the action is in force now. */
  active(action: OverloadAction): boolean {
    return action === 'stop_accepting_connections' ? !this.acceptingConnections : !this.acceptingRequests;
  }

  /**
   * Reserves `bytes` more of incomplete frames; false (nothing reserved) when that would pass
   * `maxIncompleteFrameBytes`.
   */
  holdIncomplete(bytes: number): boolean {
    const held = this.incompleteFrameBytes + bytes;
    if (held > this.limits.maxIncompleteFrameBytes) return false;
    this.incompleteFrameBytes = held;
    return true;
  }

  /** Gives back bytes reserved with {@link holdIncomplete}. */
  releaseIncomplete(bytes: number): void {
    this.incompleteFrameBytes -= bytes;
  }

  /** Measures the resources and sets the actions. Called by the timer; public for tests. */
  refresh(now = Date.now()): void {
    const stats = getHeapStatistics();
    const heap = stats.used_heap_size / this.maxHeapBytes;
    this.bufferedBytes = this.incompleteFrameBytes + this.inFlightRequestBytes + this.queuedBytes();
    this.releaseGarbage(stats.external_memory, now);
    const max = this.limits.maxBufferedBytes;
    const buffered = max > 0 ? this.bufferedBytes / max : 0;
    this.pressure.heap = heap;
    this.pressure.buffered = buffered;
    const pressure = Math.max(heap, buffered);
    const connections = pressure < OVERLOAD_THRESHOLDS.stop_accepting_connections;
    const requests = pressure < OVERLOAD_THRESHOLDS.stop_accepting_requests;
    if (connections !== this.acceptingConnections || requests !== this.acceptingRequests) {
      const state = { heap: round(heap), buffered: round(buffered), bufferedBytes: this.bufferedBytes };
      if (!requests) this.logger?.warn(state, 'overloaded: refusing new connections and requests');
      else if (!connections) this.logger?.warn(state, 'overloaded: refusing new connections');
      else this.logger?.info(state, 'no longer overloaded');
    }
    this.acceptingConnections = connections;
    this.acceptingRequests = requests;
  }

  private releaseGarbage(external: number, now: number): void {
    const steady = Math.abs(external - this.lastExternal) < STEADY_BYTES;
    this.lastExternal = external;
    const collect = this.collectGarbage;
    if (
      collect === undefined ||
      !steady ||
      external - this.bufferedBytes < RELEASE_GARBAGE_BYTES ||
      now - this.lastCollection < COLLECT_INTERVAL_MS
    )
      return;
    this.lastCollection = now;
    this.collections++;
    collect();
    this.logger?.debug(
      { externalBefore: external, externalAfter: getHeapStatistics().external_memory },
      'collected the garbage of released buffers',
    );
  }
}

function round(pressure: number): number {
  return Math.round(pressure * 1000) / 1000;
}

function refresh(manager: OverloadManager): void {
  manager.refresh();
}
