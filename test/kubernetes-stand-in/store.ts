/**
 * Part of the Kubernetes API stand-in used by the tests (see api-server.ts): its storage, as etcd
 * behaves under the API server — one revision counter for everything (an object's resourceVersion is
 * the revision of its last write), a history of changes kept until compaction, and reads of the
 * state at a past revision (for consistent pages of a list). It outlives the HTTP server, so a
 * restarted API server keeps its objects and versions, as a real one does.
 */

export type StoredObject = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace?: string; resourceVersion?: string };
};

export interface StoredEvent {
  readonly revision: number;
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  /** `plural.group` */
  readonly resource: string;
  readonly key: string;
  /** The object after the change (before it, for DELETED, with the deletion's resourceVersion). */
  readonly object: StoredObject;
  readonly previous?: StoredObject;
}

/** `namespace/name` or `name`. */
export function storeKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

export class Store {
  /** The revision of the last write; the first write is 2, as a fresh etcd's first key is. */
  revision = 1;
  /** Changes at or below this revision are forgotten. */
  compacted = 0;
  private readonly objects = new Map<string, Map<string, StoredObject>>();
  private history: StoredEvent[] = [];
  private readonly subscribers = new Set<(event: StoredEvent) => void>();

  constructor(private readonly maxHistory = 100_000) {}

  get(resource: string, key: string): StoredObject | undefined {
    return this.objects.get(resource)?.get(key);
  }

  /** Every object of `resource`, at `revision` (default: now), in key order. */
  list(resource: string, revision = this.revision): StoredObject[] {
    const current = new Map(this.objects.get(resource) ?? []);
    if (revision < this.revision) {
      for (let i = this.history.length - 1; i >= 0; i--) {
        const event = this.history[i]!;
        if (event.revision <= revision) break;
        if (event.resource !== resource) continue;
        if (event.previous === undefined) current.delete(event.key);
        else current.set(event.key, event.previous);
      }
    }
    return [...current.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  }

  /** Changes of `resource` after `revision`, oldest first. */
  since(resource: string, revision: number): StoredEvent[] {
    return this.history.filter(e => e.revision > revision && e.resource === resource);
  }

  /** Writes (or, with `object` undefined, deletes) and tells the watchers. Returns the stored object. */
  write(resource: string, key: string, object: StoredObject | undefined): StoredObject | undefined {
    const previous = this.get(resource, key);
    if (object === undefined && previous === undefined) return undefined;
    const revision = ++this.revision;
    let map = this.objects.get(resource);
    if (map === undefined) {
      map = new Map();
      this.objects.set(resource, map);
    }
    let event: StoredEvent;
    if (object === undefined) {
      map.delete(key);
      const gone = { ...previous!, metadata: { ...previous!.metadata, resourceVersion: String(revision) } };
      event = { revision, type: 'DELETED', resource, key, object: gone, previous: previous! };
    } else {
      const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(revision) } };
      map.set(key, stored);
      event = {
        revision,
        type: previous === undefined ? 'ADDED' : 'MODIFIED',
        resource,
        key,
        object: stored,
        ...(previous === undefined ? {} : { previous }),
      };
    }
    this.history.push(event);
    if (this.history.length > this.maxHistory) {
      const dropped = this.history.splice(0, this.history.length - this.maxHistory);
      this.compacted = dropped[dropped.length - 1]!.revision;
    }
    for (const subscriber of this.subscribers) subscriber(event);
    return event.object;
  }

  /** Forgets every change up to now: watches and continue tokens from before get 410 Gone. */
  compact(): void {
    this.compacted = this.revision;
    this.history = [];
  }

  subscribe(subscriber: (event: StoredEvent) => void): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** Every resource with objects. */
  resources(): string[] {
    return [...this.objects.keys()];
  }
}
