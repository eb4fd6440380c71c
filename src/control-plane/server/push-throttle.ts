/**
 * Bounds how many proxies have a response unanswered at once, as Istio's push throttle does. A
 * state-of-the-world proxy answers each response with a request that repeats every name it subscribes
 * to (1.5 MB for EDS, 0.45 MB for RDS at 10,000 services), and grpc-js holds each request whole while
 * it arrives: a thousand proxies answering one push together put up to 1.5 GB of requests in flight.
 * Only streams holding a slot may push; a stream gives its slot back once the proxy has answered every
 * response it was sent (or after `holdLimitMs`, for a proxy that does not answer), and the streams
 * waiting get slots in the order they asked.
 */

/** A stream that can be told to push once it has been given a slot. */
export interface ThrottledStream {
  resume(): void;
}

/** Istio's default (PILOT_PUSH_THROTTLE) is 100; fewer keeps less in flight, at little cost in time. */
export const DEFAULT_PUSHES_IN_FLIGHT = 32;
/** A slot is taken back after this long even if the proxy has not answered. */
export const DEFAULT_HOLD_LIMIT_MS = 10_000;

export class PushThrottle {
  private readonly holders = new Map<ThrottledStream, NodeJS.Timeout>();
  /** In the order they asked (a Set keeps insertion order). */
  private readonly waiting = new Set<ThrottledStream>();

  constructor(
    readonly limit = DEFAULT_PUSHES_IN_FLIGHT,
    private readonly holdLimitMs = DEFAULT_HOLD_LIMIT_MS,
  ) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new Error(`push throttle limit must be ≥ 1, not ${limit}`);
  }

  /** Streams holding a slot now. */
  get inFlight(): number {
    return this.holders.size;
  }

  /** Streams waiting for a slot now. */
  get queued(): number {
    return this.waiting.size;
  }

  /** Whether `stream` may push now; if not, it waits and is resumed once given a slot. */
  acquire(stream: ThrottledStream): boolean {
    if (this.holders.has(stream)) return true;
    if (this.holders.size < this.limit && this.waiting.size === 0) {
      this.grant(stream);
      return true;
    }
    this.waiting.add(stream);
    return false;
  }

  /** `stream` is gone: its slot, or its place in the queue, goes. */
  forget(stream: ThrottledStream): void {
    this.waiting.delete(stream);
    this.release(stream);
  }

  /** `stream` has nothing unanswered: its slot (if it holds one) goes to the next waiting. */
  release(stream: ThrottledStream): void {
    const timer = this.holders.get(stream);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.holders.delete(stream);
    while (this.holders.size < this.limit && this.waiting.size > 0) {
      const next = this.waiting.values().next().value as ThrottledStream;
      this.waiting.delete(next);
      this.grant(next);
      next.resume();
    }
  }

  private grant(stream: ThrottledStream): void {
    const timer = setTimeout(() => this.release(stream), this.holdLimitMs);
    timer.unref();
    this.holders.set(stream, timer);
  }
}
