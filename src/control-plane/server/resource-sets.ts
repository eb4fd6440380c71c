/**
 * What both kinds of ADS stream (state of the world and delta) work out about resource sets: which
 * resources of a type a proxy should hold, what changed from one set to another, and how many bytes
 * a proxy's answer will carry. Sets are the snapshot's own entry maps wherever possible, and every
 * result is cached by the objects it was computed from, so a thousand proxies that hold the same set
 * and move to the same next one share one computation and one response.
 */
import { versionOf, type SnapshotEntry, type TypeResources } from '../cache/resource-snapshot.js';
import { isWildcardType } from './push-order.js';

/** Resources by name. */
export type EntrySet = ReadonlyMap<string, SnapshotEntry>;

export const NO_ENTRIES: EntrySet = new Map();
export const EMPTY_VERSION = versionOf([]);

/** What a proxy subscribes to of one type. */
export interface Subscription {
  /** Every resource of the type (LDS, CDS), besides any names. */
  readonly wildcard: boolean;
  readonly names: ReadonlySet<string>;
}

/** Names removed between two sets, computed once per pair however many proxies share them. */
const removals = new WeakMap<EntrySet, { to: EntrySet; gone: readonly string[] }>();

/** The names of `from` that `to` lacks. */
export function removedBetween(from: EntrySet, to: EntrySet): readonly string[] {
  const cached = removals.get(from);
  if (cached !== undefined && cached.to === to) return cached.gone;
  const gone: string[] = [];
  for (const name of from.keys()) if (!to.has(name)) gone.push(name);
  removals.set(from, { to, gone });
  return gone;
}

/** What changed from one set to another: computed once per pair however many proxies share them. */
export interface Changes {
  readonly to: EntrySet;
  /** The entries of `to` that are not in the other set, or differ there. */
  readonly changed: readonly SnapshotEntry[];
}

const changesCache = new WeakMap<EntrySet, Changes>();
/**
 * From nothing, by the set reached: every stream's first response of every type starts from an empty
 * set, and one slot per `from` would have each type push the others out.
 */
const wholeSets = new WeakMap<EntrySet, Changes>();

/** The entries of `to` that `from` lacks or holds with other content. */
export function changesBetween(from: EntrySet, to: EntrySet): Changes {
  if (from.size === 0) {
    let whole = wholeSets.get(to);
    if (whole === undefined) {
      whole = { to, changed: [...to.values()] };
      wholeSets.set(to, whole);
    }
    return whole;
  }
  const cached = changesCache.get(from);
  if (cached?.to === to) return cached;
  const changed: SnapshotEntry[] = [];
  for (const entry of to.values()) {
    const before = from.get(entry.name);
    if (before !== entry && before?.digest !== entry.digest) changed.push(entry);
  }
  const changes = { to, changed };
  changesCache.set(from, changes);
  return changes;
}

const changedBytes = new WeakMap<Changes, number>();

/** The encoded size of the resources `changes` carries, worked out once per Changes. */
export function changedWireBytes(changes: Changes): number {
  let bytes = changedBytes.get(changes);
  if (bytes === undefined) {
    bytes = 0;
    for (const entry of changes.changed) bytes += entry.wire.length;
    changedBytes.set(changes, bytes);
  }
  return bytes;
}

/** A request's bytes besides its names (type URL, version, nonce), for the push throttle. */
export const ANSWER_OVERHEAD_BYTES = 256;

const namesBytes = new WeakMap<object, number>();

/**
 * The encoded size of resource names as a request lists them, worked out once per collection
 * (`key`: an interned name list, or a resource set's entries).
 */
export function encodedNamesBytes(key: object, names: Iterable<string>): number {
  let bytes = namesBytes.get(key);
  if (bytes === undefined) {
    bytes = 0;
    // Tag, length (two bytes covers names up to 16 KiB; a close enough estimate beyond), UTF-8 bytes.
    for (const name of names) bytes += 3 + Buffer.byteLength(name, 'utf8');
    namesBytes.set(key, bytes);
  }
  return bytes;
}

/**
 * What a wildcard response (LDS, CDS) makes its proxy send next, estimated: it subscribes to the
 * endpoints of every cluster and the route table of every listener, as many names (of about the same
 * length) as the response has resources; `key` identifies that collection for the cache.
 */
export function impliedSubscriptionBytes(typeUrl: string, key: object, names: Iterable<string>): number {
  return isWildcardType(typeUrl) ? encodedNamesBytes(key, names) : 0;
}

/** coversAll's last answer per name set: streams that share a subscription share the work. */
const coverage = new WeakMap<ReadonlySet<string>, { entries: EntrySet; covers: boolean }>();

/** Whether every resource of `entries` is among `names`. */
function coversAll(names: ReadonlySet<string>, entries: EntrySet): boolean {
  const cached = coverage.get(names);
  if (cached?.entries === entries) return cached.covers;
  let covers = names.size >= entries.size;
  if (covers) {
    for (const name of entries.keys()) {
      if (!names.has(name)) {
        covers = false;
        break;
      }
    }
  }
  coverage.set(names, { entries, covers });
  return covers;
}

/**
 * What a proxy should hold of one type: the subscribed resources `available` now, plus those of
 * `gone` (names it holds that the snapshot no longer has) that routes or listeners it may still run
 * name (`inUse`): make-before-break. `held` is what the proxy was last sent, `undefined` if nothing.
 * `undefined` when there is nothing to say: no resource, and none sent before.
 */
export function wantedEntries(
  subscription: Subscription,
  available: TypeResources | undefined,
  held: EntrySet | undefined,
  gone: readonly string[],
  inUse: ReadonlySet<string> | undefined,
): TypeResources | undefined {
  const { wildcard, names } = subscription;
  const kept: SnapshotEntry[] = [];
  for (const name of gone) {
    if (inUse?.has(name) !== true || (!wildcard && !names.has(name))) continue;
    const entry = held?.get(name);
    if (entry !== undefined) kept.push(entry);
  }
  if (kept.length === 0 && (wildcard || (available !== undefined && coversAll(names, available.entries)))) {
    // The common case: the type's whole set, shared by every proxy (no copy, version precomputed).
    return available ?? { version: EMPTY_VERSION, entries: NO_ENTRIES };
  }
  const entries = new Map<string, SnapshotEntry>();
  if (wildcard) {
    for (const [name, entry] of available?.entries ?? NO_ENTRIES) entries.set(name, entry);
  } else {
    for (const name of names) {
      const entry = available?.entries.get(name);
      if (entry !== undefined) entries.set(name, entry);
    }
  }
  for (const entry of kept) entries.set(entry.name, entry);
  if (entries.size === 0 && held === undefined) return undefined;
  return { version: versionOf(entries.values()), entries };
}
