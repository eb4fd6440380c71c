/**
 * Local rate limits of a proxy with workers: one set of token buckets for the whole proxy, held by
 * the primary, so that a limit of 2 requests admits 2 whichever workers the requests reach. A worker
 * asks the primary for each token (one IPC round trip, only on listeners with a local rate limit).
 */
import {
  InProcessTokenBuckets,
  type TokenBucketConfig,
  type TokenBucketStore,
  type TokenBucketStoreFactory,
  type TokenWaiter,
} from '../../filters/local-ratelimit/token-bucket-store.js';
import { localRateLimitScope } from '../listener-rate-limits.js';
import type { ListenerResource } from '../../xds/resources.js';
import type { TakeTokenMessage, TokenGrantMessage } from './worker-messages.js';

/** The primary's side: the buckets of every local rate limit, by scope (listener and config). */
export class PrimaryTokenBuckets {
  private readonly byScope = new Map<string, InProcessTokenBuckets>();

  /** Takes one token for a worker; a scope's buckets start full when first asked. */
  take(request: TakeTokenMessage): TokenGrantMessage {
    let buckets = this.byScope.get(request.scope);
    if (buckets === undefined) {
      buckets = new InProcessTokenBuckets(request.buckets, request.now);
      this.byScope.set(request.scope, buckets);
    }
    return { type: 'token', id: request.id, granted: buckets.tryTake(request.index, request.now) };
  }

  /**
   * Forgets the buckets of listeners that are gone or whose limit changed (a changed limit starts
   * with full buckets, as in a proxy of one process).
   */
  retain(listeners: readonly ListenerResource[]): void {
    const scopes = new Set<string>();
    for (const l of listeners) {
      if (l.localRateLimit !== undefined)
        scopes.add(localRateLimitScope(l.name, JSON.stringify(l.localRateLimit)));
    }
    for (const scope of this.byScope.keys()) if (!scopes.has(scope)) this.byScope.delete(scope);
  }
}

interface Waiting {
  readonly waiter: TokenWaiter;
  readonly context: unknown;
}

/** A worker's side: stores that ask the primary, and the answers matched back to their requests. */
export class WorkerTokenBuckets {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();

  constructor(private readonly send: (message: TakeTokenMessage) => void) {}

  /** The store factory for the local rate limit `scope`. */
  storeFor(scope: string): TokenBucketStoreFactory {
    return (buckets: readonly TokenBucketConfig[]): TokenBucketStore => ({
      tryTake: (index, now, waiter, context) => {
        if (waiter === undefined) return false;
        const id = this.nextId++;
        this.waiting.set(id, { waiter, context });
        this.send({ type: 'take', id, scope, buckets, index, now });
        return undefined;
      },
    });
  }

  /** The primary's answer. */
  decided(message: TokenGrantMessage): void {
    const waiting = this.waiting.get(message.id);
    if (waiting === undefined) return;
    this.waiting.delete(message.id);
    waiting.waiter.tokenDecided(waiting.context, message.granted);
  }

  /** No answer will come (the primary is gone): the waiting requests are refused. */
  refuseAll(): void {
    const waiting = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiting) w.waiter.tokenDecided(w.context, false);
  }
}
