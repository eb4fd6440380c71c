/**
 * Bounds the requests the proxies can have in flight at once, as Istio's push throttle bounds pushes.
 * A state-of-the-world proxy answers each response with a request that repeats every name it
 * subscribes to (1.5 MB for EDS, 0.45 MB for RDS at 10,000 services), and grpc-js holds each request
 * whole while it arrives: a thousand proxies answering one push together put up to 1.5 GB in flight.
 *
 * A stream pushes only while it holds a slot, weighed by the bytes its answers will carry; slots are
 * granted while the weights in flight stay within the budget (always to one stream at least). A stream
 * gives its slot back once the proxy has answered every response it was sent (or after `holdLimitMs`,
 * for a proxy that does not answer), and the streams waiting get slots in the order they asked. Small
 * answers (1,000 services: 40 KB) let hundreds of proxies push at once; large ones, a few dozen.
 *
 * A delta proxy's answers are small (a nonce; subscriptions only as changes), so a delta stream weighs
 * its pushes by the responses themselves: a full sync of a large mesh then goes a few proxies at a
 * time instead of every response at once.
 */

/** A stream that can be told to push once it has been given a slot. */
export interface ThrottledStream {
  resume(): void;
}

/** The bytes of answers in flight (budget) by default. */
export const DEFAULT_ANSWER_BUDGET_BYTES = 32 * 1024 * 1024;
/** A slot is taken back after this long even if the proxy has not answered. */
export const DEFAULT_HOLD_LIMIT_MS = 10_000;

interface Slot {
  bytes: number;
  readonly timer: NodeJS.Timeout;
}

export class PushThrottle {
  private readonly holders = new Map<ThrottledStream, Slot>();
  /** In the order they asked (a Map keeps insertion order), with the bytes they asked for. */
  private readonly waiting = new Map<ThrottledStream, number>();
  private bytesInFlight = 0;

  constructor(
    readonly budgetBytes = DEFAULT_ANSWER_BUDGET_BYTES,
    private readonly holdLimitMs = DEFAULT_HOLD_LIMIT_MS,
  ) {
    if (!(budgetBytes > 0)) throw new Error(`push throttle budget must be > 0, not ${budgetBytes}`);
  }

  /** Streams holding a slot now. */
  get inFlight(): number {
    return this.holders.size;
  }

  /** Bytes of answers the holders are owed. */
  get inFlightBytes(): number {
    return this.bytesInFlight;
  }

  /** Streams waiting for a slot now. */
  get queued(): number {
    return this.waiting.size;
  }

  /**
   * Whether `stream` may push responses whose answers carry `bytes` now; if not, it waits and is
   * resumed once given a slot. A stream that holds a slot may always push more (its weight grows).
   */
  acquire(stream: ThrottledStream, bytes: number): boolean {
    const held = this.holders.get(stream);
    if (held !== undefined) {
      held.bytes += bytes;
      this.bytesInFlight += bytes;
      return true;
    }
    if (this.waiting.size === 0 && this.fits(bytes)) {
      this.grant(stream, bytes);
      return true;
    }
    this.waiting.set(stream, Math.max(bytes, this.waiting.get(stream) ?? 0));
    return false;
  }

  /** `stream` is gone: its slot, or its place in the queue, goes. */
  forget(stream: ThrottledStream): void {
    this.waiting.delete(stream);
    this.release(stream);
  }

  /** `stream` has nothing unanswered: its slot (if it holds one) goes to those waiting. */
  release(stream: ThrottledStream): void {
    const slot = this.holders.get(stream);
    if (slot === undefined) return;
    clearTimeout(slot.timer);
    this.holders.delete(stream);
    this.bytesInFlight -= slot.bytes;
    for (const [next, bytes] of this.waiting) {
      if (!this.fits(bytes)) break; // in order: the first waiting is not overtaken
      this.waiting.delete(next);
      this.grant(next, bytes);
      next.resume();
    }
  }

  private fits(bytes: number): boolean {
    return this.holders.size === 0 || this.bytesInFlight + bytes <= this.budgetBytes;
  }

  private grant(stream: ThrottledStream, bytes: number): void {
    const timer = setTimeout(() => this.release(stream), this.holdLimitMs);
    timer.unref();
    this.holders.set(stream, { bytes, timer });
    this.bytesInFlight += bytes;
  }
}
