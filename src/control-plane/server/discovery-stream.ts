/**
 * What both kinds of ADS stream (state of the world, AdsStream; delta, DeltaAdsStream) share: the
 * node named by the first request, one state per resource type, ACK/NACK bookkeeping, the clusters
 * kept alive for make-before-break, one pass of responses per event-loop turn, and the push
 * throttle's slot. Subclasses say how requests change a type's state and what to send.
 */
import type { XdsNode } from '../../xds/index.js';
import type { ResourceSnapshot } from '../cache/resource-snapshot.js';
import type { SnapshotCache } from '../cache/snapshot-cache.js';
import { holdsClusterRefs } from './push-order.js';
import type { PushThrottle, ThrottledStream } from './push-throttle.js';
import type { EntrySet } from './resource-sets.js';
import type { SharedResponses } from './shared-responses.js';
import type { NackRecord, StatusRegistry } from './xds-status.js';

/** The write side of the gRPC call. */
export interface ResponseSink {
  write(response: Buffer): unknown;
  fail(message: string): void;
}

/** A response sent: its version and nonce, and the resources the proxy holds once it applies it. */
export interface SentSet {
  readonly version: string;
  readonly nonce: string;
  readonly entries: EntrySet;
}

export interface StreamAck {
  readonly nodeId: string;
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
}

export interface StreamHooks {
  readonly controlPlaneId: string;
  /** When given, responses are shared with the other streams that use the same object. */
  readonly shared?: SharedResponses;
  /** When given, the stream pushes only while it holds one of its slots. */
  readonly throttle?: PushThrottle;
  nextNonce(): string;
  /**
   * The snapshot key the stream's node is served from (its scope); absent: the node's own snapshot,
   * else `*`'s. A key other than `*` is served its own snapshot only.
   */
  keyFor?(node: XdsNode): string;
  /** The proxy's proven identity (SPIFFE ID), for the status. */
  readonly identity?: string;
  onAck(ack: StreamAck): void;
  onNack(nack: StreamAck & { readonly errorDetail: NackRecord['errorDetail'] }): void;
}

/** At most this many unanswered responses are remembered per type; older ones count as superseded. */
export const MAX_PENDING = 16;
/** Rejected sets still kept alive for make-before-break, per type. */
const MAX_IN_EFFECT = 4;

/** What every stream keeps per resource type. */
export class BaseTypeState {
  /** Snapshot this type was last worked out for: nothing to do again until it, or the rest, changes. */
  evaluated: ResourceSnapshot | undefined;
  /** What the proxy may be running: the last ACKed set plus any partly rejected since. */
  inEffect: SentSet[] = [];
  /** Sent and not yet answered, oldest first, by nonce. */
  readonly pending = new Map<string, SentSet>();

  /** Remembers a response sent; the oldest unanswered one is forgotten beyond MAX_PENDING. */
  sent(set: SentSet): void {
    this.pending.set(set.nonce, set);
    if (this.pending.size > MAX_PENDING) {
      const oldest = this.pending.keys().next().value;
      if (oldest !== undefined) this.pending.delete(oldest);
    }
  }
}

/** The request fields the base reads. */
interface DiscoveryRequestHead {
  readonly node?: XdsNode;
  readonly type_url: string;
}

export abstract class DiscoveryStream<
  Request extends DiscoveryRequestHead,
  State extends BaseTypeState,
> implements ThrottledStream {
  protected nodeId: string | undefined;
  /** The key of the snapshot served (see StreamHooks.keyFor); undefined: by node id. */
  private snapshotKey: string | undefined;
  protected readonly types = new Map<string, State>();
  protected closed = false;
  /** An answer to routes or listeners arrived: the clusters kept alive for them may change. */
  protected refsChanged = false;
  private scheduled = false;

  constructor(
    protected readonly sink: ResponseSink,
    protected readonly cache: SnapshotCache,
    protected readonly status: StatusRegistry,
    protected readonly hooks: StreamHooks,
  ) {}

  /** The node id, once the first request has arrived. */
  get node(): string | undefined {
    return this.nodeId;
  }

  abstract handleRequest(request: Request): void;

  /** The node's snapshot may have changed. */
  snapshotChanged(): void {
    if (this.nodeId !== undefined) this.schedule();
  }

  /** Given a push slot after waiting for one. */
  resume(): void {
    this.schedule();
  }

  /** Serves the stream from the snapshot of `key` from now on (the proxy's scope changed). */
  rescope(key: string): void {
    if (key === this.snapshotKey) return;
    this.snapshotKey = key;
    this.snapshotChanged();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hooks.throttle?.forget(this);
    if (this.nodeId !== undefined) this.status.streamClosed(this.nodeId);
  }

  /** A fresh state for a type first asked for. */
  protected abstract newTypeState(): State;

  /** Works out and sends what every type needs now, from the node's current snapshot. */
  protected abstract respond(snapshot: ResourceSnapshot): void;

  /**
   * The type a request is about, with its state (made on first use); `undefined` when the stream is
   * closed, the request has no type, or it is the first and names no node (the stream then fails).
   */
  protected typeOf(request: Request): [typeUrl: string, state: State] | undefined {
    if (this.closed) return undefined;
    if (this.nodeId === undefined) {
      const id = request.node?.id ?? '';
      if (id === '') {
        this.sink.fail('the first request of an ADS stream must carry node.id');
        return undefined;
      }
      this.nodeId = id;
      this.status.streamOpened(id, this.hooks.identity);
      this.snapshotKey = this.hooks.keyFor?.(request.node!);
    }
    const typeUrl = request.type_url;
    if (typeUrl === '') return undefined;
    let state = this.types.get(typeUrl);
    if (state === undefined) {
      state = this.newTypeState();
      this.types.set(typeUrl, state);
    }
    return [typeUrl, state];
  }

  /**
   * Records the proxy's answer to `answered`: an ACK, or a NACK with `errorDetail`. Responses are
   * answered in order, so every older one is settled too. Returns whether it was the latest sent.
   */
  protected settle(
    typeUrl: string,
    state: State,
    answered: SentSet,
    errorDetail: NackRecord['errorDetail'] | undefined,
  ): boolean {
    for (const nonce of state.pending.keys()) {
      state.pending.delete(nonce);
      if (nonce === answered.nonce) break;
    }
    const nodeId = this.nodeId ?? '';
    const latest = state.pending.size === 0;
    if (holdsClusterRefs(typeUrl)) this.refsChanged = true;
    const event = { nodeId, typeUrl, version: answered.version, nonce: answered.nonce };
    if (errorDetail !== undefined) {
      state.inEffect = [...state.inEffect, answered].slice(-MAX_IN_EFFECT);
      const nack: NackRecord = {
        version: answered.version,
        nonce: answered.nonce,
        errorDetail,
        at: new Date().toISOString(),
      };
      this.status.nacked(nodeId, typeUrl, nack, latest);
      this.hooks.onNack({ ...event, errorDetail });
    } else {
      state.inEffect = [answered];
      this.status.acked(nodeId, typeUrl, answered.version, latest);
      this.hooks.onAck(event);
    }
    if (!this.awaitsAnswers()) this.hooks.throttle?.release(this);
    return latest;
  }

  /** Whether a response of any type is still unanswered. */
  protected awaitsAnswers(): boolean {
    for (const state of this.types.values()) if (state.pending.size > 0) return true;
    return false;
  }

  /** Clusters named by what the proxy runs or has been sent and not answered. */
  protected clusterRefsInUse(): Set<string> {
    const refs = new Set<string>();
    for (const [typeUrl, state] of this.types) {
      if (!holdsClusterRefs(typeUrl)) continue;
      for (const set of [...state.inEffect, ...state.pending.values()]) {
        for (const entry of set.entries.values()) for (const ref of entry.clusterRefs) refs.add(ref);
      }
    }
    return refs;
  }

  /** Responds once this event-loop turn is over, so that requests that arrive together are answered together. */
  protected schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.closed || this.nodeId === undefined) return;
      const key = this.snapshotKey;
      const snapshot = key === undefined ? this.cache.snapshotFor(this.nodeId) : this.cache.snapshotOf(key);
      if (snapshot !== undefined) this.respond(snapshot);
    });
  }
}
