/**
 * The snapshots the ADS server serves, keyed by node id, with `*` as the snapshot of every node that
 * has none of its own. New snapshots are published after a debounce (quiet period, maximum delay); the
 * first snapshot of a key is published at once, so a proxy that starts with the control plane gets its
 * config without waiting.
 */
import { Debouncer, type DebounceOptions } from './debouncer.js';
import { ResourceSnapshot } from './resource-snapshot.js';
import type { XdsResource } from '../../xds/index.js';

/** The key of the snapshot served to every node without one of its own. */
export const ALL_NODES = '*';

export const DEFAULT_DEBOUNCE: DebounceOptions = { quietPeriodMs: 100, maxDelayMs: 1000 };

export type PublishListener = (key: string, snapshot: ResourceSnapshot | undefined) => void;

export class SnapshotCache {
  private readonly published = new Map<string, ResourceSnapshot>();
  private readonly waiting = new Map<
    string,
    { snapshot: ResourceSnapshot | undefined; debouncer: Debouncer }
  >();
  private readonly listeners = new Set<PublishListener>();

  constructor(readonly debounce: DebounceOptions = DEFAULT_DEBOUNCE) {}

  /**
   * Sets the snapshot of `nodeId` (or `*`). Validates at once (throws on an inconsistent set, and the
   * served snapshot is unchanged); publishes after the debounce, or at once if the key has none yet.
   */
  setSnapshot(nodeId: string, resources: Iterable<XdsResource> | ResourceSnapshot): ResourceSnapshot {
    const snapshot = resources instanceof ResourceSnapshot ? resources : ResourceSnapshot.from(resources);
    this.schedule(nodeId, snapshot);
    return snapshot;
  }

  /** Removes the snapshot of `nodeId` (the node falls back to `*`), after the debounce. */
  clearSnapshot(nodeId: string): void {
    this.schedule(nodeId, undefined);
  }

  /** The snapshot a node is served now. */
  snapshotFor(nodeId: string): ResourceSnapshot | undefined {
    return this.published.get(nodeId) ?? this.published.get(ALL_NODES);
  }

  /** Published snapshot of one key, without the `*` fallback. */
  snapshotOf(key: string): ResourceSnapshot | undefined {
    return this.published.get(key);
  }

  /** Publishes the snapshot waiting for `key`, if any, now. */
  publishNow(key: string): void {
    this.waiting.get(key)?.debouncer.flush();
  }

  /** Publishes every waiting snapshot now. */
  flush(): void {
    for (const w of [...this.waiting.values()]) w.debouncer.flush();
  }

  /** Calls `listener` after each publish; returns the unsubscribe function. */
  onPublish(listener: PublishListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops waiting snapshots and their timers. */
  close(): void {
    for (const w of this.waiting.values()) w.debouncer.cancel();
    this.waiting.clear();
  }

  private schedule(key: string, snapshot: ResourceSnapshot | undefined): void {
    const existing = this.waiting.get(key);
    if (existing !== undefined) {
      existing.snapshot = snapshot;
      existing.debouncer.poke();
      return;
    }
    if (!this.published.has(key)) {
      this.publish(key, snapshot);
      return;
    }
    const entry = { snapshot, debouncer: new Debouncer(this.debounce, () => this.fire(key)) };
    this.waiting.set(key, entry);
    entry.debouncer.poke();
  }

  private fire(key: string): void {
    const entry = this.waiting.get(key);
    if (entry === undefined) return;
    this.waiting.delete(key);
    this.publish(key, entry.snapshot);
  }

  private publish(key: string, snapshot: ResourceSnapshot | undefined): void {
    if (snapshot === undefined) {
      if (!this.published.delete(key)) return;
    } else {
      if (this.published.get(key)?.version === snapshot.version) return;
      this.published.set(key, snapshot);
    }
    for (const listener of this.listeners) listener(key, snapshot);
  }
}
