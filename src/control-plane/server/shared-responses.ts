/**
 * Whole responses shared by the streams of one server: every stream sent the same body gets the same
 * bytes under the same nonce, so a push to a thousand proxies builds one response, not a thousand
 * copies of it. (A nonce only has to tell apart the responses of one stream and type; a stream that
 * would get a nonce it already has gets a fresh one.)
 *
 * A response is held while it is in use: for `holdMs` after a stream last asked for it, and after
 * that only weakly, for as long as a write still holds its bytes. Once nothing holds them they are
 * garbage, and made again (the same bytes under the same nonce) if another stream needs them later.
 * Held as long as the set they were made from (as before), each scope's full state stayed in memory
 * while its snapshot was served, though only a proxy that connects anew is sent it again: a copy of
 * every resource of every scope, 74 MB at 10,000 services in 10 namespaces. Held weakly alone, a
 * full sync made them again each time a collection fell between two proxies' turns (555 times for
 * 1,000 proxies, against 41 responses).
 */

/** A response shared by streams, and its body (everything but nonce and control plane). */
export interface SharedResponse {
  readonly nonce: string;
  readonly bytes: Buffer;
  readonly body: Buffer;
}

/** Appends a nonce and the control plane's identity to a body: the kind of response's last fields. */
export type FinishResponse = (body: Buffer, nonce: string, controlPlaneId: string) => Buffer;

/** How long a response is held after a stream last asked for it, by default. */
export const DEFAULT_RESPONSE_HOLD_MS = 2000;

interface Made {
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
  readonly bodyLength: number;
  weak: WeakRef<Buffer>;
  /** Set while held: asked for within the hold time. */
  held: Buffer | undefined;
  usedAt: number;
}

export class SharedResponses {
  /** By what was sent: a whole set (its entries map) or the changes from one set to another. */
  private readonly bySet = new WeakMap<object, Made>();
  /** The responses held strongly now. */
  private readonly held = new Set<Made>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly controlPlaneId: string,
    private readonly nextNonce: () => string,
    private readonly finish: FinishResponse,
    private readonly holdMs = DEFAULT_RESPONSE_HOLD_MS,
  ) {}

  /**
   * The response of `typeUrl` under `version` whose body `makeBody` builds, made on first use (and
   * again if its bytes were let go and collected); `key` is the object its resources come from (a
   * set's entries map, or the Changes between two sets), shared by the streams sent them.
   */
  get(typeUrl: string, version: string, key: object, makeBody: () => Buffer): SharedResponse {
    let made = this.bySet.get(key);
    let bytes: Buffer | undefined;
    if (made !== undefined && made.typeUrl === typeUrl && made.version === version) {
      bytes = made.held ?? made.weak.deref();
      if (bytes === undefined) {
        bytes = this.finish(makeBody(), made.nonce, this.controlPlaneId);
        made.weak = new WeakRef(bytes);
      }
    } else {
      const body = makeBody();
      const nonce = this.nextNonce();
      // The body is the response's prefix: kept once, as part of the response.
      bytes = this.finish(body, nonce, this.controlPlaneId);
      made = {
        typeUrl,
        version,
        nonce,
        bodyLength: body.length,
        weak: new WeakRef(bytes),
        held: undefined,
        usedAt: 0,
      };
      this.bySet.set(key, made);
    }
    this.hold(made, bytes);
    return { nonce: made.nonce, bytes, body: bytes.subarray(0, made.bodyLength) };
  }

  /** Responses held strongly now (asked for within the hold time). */
  get heldCount(): number {
    return this.held.size;
  }

  /** Lets go of every response now (they stay shared while writes hold them). */
  release(): void {
    for (const made of this.held) made.held = undefined;
    this.held.clear();
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private hold(made: Made, bytes: Buffer): void {
    made.held = bytes;
    made.usedAt = performance.now();
    this.held.add(made);
    if (this.sweeper !== undefined) return;
    this.sweeper = setInterval(() => this.sweep(), this.holdMs);
    this.sweeper.unref();
  }

  private sweep(): void {
    const before = performance.now() - this.holdMs;
    for (const made of this.held) {
      if (made.usedAt > before) continue;
      made.held = undefined;
      this.held.delete(made);
    }
    if (this.held.size === 0) this.release();
  }
}
