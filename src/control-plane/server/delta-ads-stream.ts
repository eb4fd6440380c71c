/**
 * One incremental (delta) ADS stream (one proxy connection), per xDS's delta rules:
 *
 * - the first request carries the node; each request names a type URL and changes the proxy's
 *   subscription (`resource_names_subscribe` / `_unsubscribe`; `*` is the wildcard, and a first LDS or
 *   CDS request that names nothing subscribes to it too); a stream's first request per type may list the
 *   resources the proxy already holds (`initial_resource_versions`), which are then not sent again;
 * - a response carries the resources that are new or changed for the proxy, each with its version
 *   (the first 16 hex digits of its content digest), and the names of the ones it must drop;
 * - a request with the nonce of a response ACKs it, or NACKs it with error_detail: the NACK is
 *   recorded and nothing is resent until the resources change again. Subscription changes are applied
 *   whatever the nonce, since each one is a change and not a whole list.
 *
 * The server keeps what each proxy holds as the set it was last sent, which is the snapshot's own
 * entry map in the common case (every cluster, every route table): a thousand proxies then share one
 * set, one computation of what changed, and one response, as with state of the world. ACKs carry no
 * names, which is why delta suits large meshes: an edit costs each proxy the changed resources and
 * a small ACK.
 *
 * Order and consistency are those of the state-of-the-world stream: types are pushed clusters,
 * endpoints, listeners, routes in one pass, and a cluster removed from the snapshot is not removed
 * from the proxy while a route or listener it runs, or has been sent and not yet answered, names it.
 */
import {
  assembleDeltaResponseBody,
  finishDeltaResponse,
  type DeltaDiscoveryRequest,
  type DeltaResourceWire,
} from '../../xds/index.js';
import type { ResourceSnapshot, SnapshotEntry, TypeResources } from '../cache/resource-snapshot.js';
import { BaseTypeState, DiscoveryStream } from './discovery-stream.js';
import { holdsClusterRefs, inPushOrder, isClusterScoped, isWildcardType } from './push-order.js';
import {
  ANSWER_OVERHEAD_BYTES,
  EMPTY_VERSION,
  changedWireBytes,
  changesBetween,
  encodedNamesBytes,
  NO_ENTRIES,
  removedBetween,
  wantedEntries,
  type Changes,
  type EntrySet,
} from './resource-sets.js';

/** The version a delta response gives a resource: short, and the same on every replica. */
export function resourceVersion(entry: SnapshotEntry): string {
  return entry.digest.slice(0, 16);
}

const NO_NAMES: ReadonlySet<string> = new Set();
const NO_LIST: readonly string[] = [];

/**
 * The result of one change to a set (subscribe and unsubscribe lists applied to a name set, or names
 * dropped from an entry set), shared by the streams that make the same change to the same set: a
 * fleet of proxies that subscribed to the same 30,000 clusters holds one set, not one each.
 */
class SharedTransitions<S extends object> {
  private readonly bySet = new WeakMap<S, Transition<S>[]>();

  constructor(private readonly apply: (from: S, add: readonly string[], drop: readonly string[]) => S) {}

  get(from: S, add: readonly string[], drop: readonly string[]): S {
    // Long lists are interned when decoded (the same array for the same list); short ones by content.
    const key = add.length + drop.length <= 64 ? `${add.join('\n')}\0${drop.join('\n')}` : undefined;
    const recent = this.bySet.get(from) ?? [];
    for (const t of recent) {
      if (key !== undefined ? t.key === key : sameList(t.add, add) && sameList(t.drop, drop)) return t.result;
    }
    const result = this.apply(from, add, drop);
    recent.push({ key, add, drop, result });
    if (recent.length > 8) recent.shift();
    this.bySet.set(from, recent);
    return result;
  }
}

/** The same interned list, or both empty (an empty list is decoded afresh each time). */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === 0 && b.length === 0);
}

interface Transition<S> {
  readonly key: string | undefined;
  readonly add: readonly string[];
  readonly drop: readonly string[];
  readonly result: S;
}

const subscriptions = new SharedTransitions<ReadonlySet<string>>((names, add, drop) => {
  const next = new Set(names);
  for (const name of add) if (name !== '*') next.add(name);
  for (const name of drop) next.delete(name);
  return next;
});

const withoutDropped = new SharedTransitions<EntrySet>((entries, _add, drop) => {
  const next = new Map(entries);
  for (const name of drop) next.delete(name);
  return next;
});

/** Stands for a resource the proxy holds under a version we no longer have: it is sent again. */
function outdated(name: string, typeUrl: string): SnapshotEntry {
  return { name, typeUrl, digest: '', wire: Buffer.alloc(0), clusterRefs: [] };
}

/**
 * What a reconnecting proxy holds, from its initial_resource_versions: the snapshot's own set when it
 * has exactly that (an unchanged config), else its entries with the versions that still match and a
 * stand-in for the others.
 */
function heldFrom(
  typeUrl: string,
  versions: Readonly<Record<string, string>>,
  available: TypeResources | undefined,
): EntrySet {
  const names = Object.keys(versions);
  const entries = available?.entries ?? NO_ENTRIES;
  let same = names.length === entries.size;
  const held = new Map<string, SnapshotEntry>();
  for (const name of names) {
    const entry = entries.get(name);
    if (entry !== undefined && resourceVersion(entry) === versions[name]) held.set(name, entry);
    else {
      same = false;
      held.set(name, outdated(name, typeUrl));
    }
  }
  return same ? entries : held;
}

class DeltaTypeState extends BaseTypeState {
  requested = false;
  /** A first request or a subscription change to answer. */
  force = false;
  /** Whether anything was sent for this type on this stream. */
  answered = false;
  wildcard = false;
  names: ReadonlySet<string> = NO_NAMES;
  /** Names subscribed since the last response: those that do not exist are reported removed. */
  added: readonly string[] = NO_LIST;
  /** initial_resource_versions of the first request, until the first snapshot is worked out. */
  initialVersions: Readonly<Record<string, string>> | undefined;
  lastNonce: string | undefined;
  /** What the proxy holds once it applies every response sent: the last set sent. */
  held: EntrySet | undefined;
}

interface PlannedSend {
  readonly typeUrl: string;
  readonly state: DeltaTypeState;
  readonly wanted: TypeResources;
  readonly changes: Changes;
  readonly removed: readonly string[];
  /** Whether the response depends only on the sets (held → wanted) and can be shared. */
  readonly shareable: boolean;
}

/** Per subscribed list (interned when long): its names missing from the last set checked. */
const missingCache = new WeakMap<readonly string[], { entries: EntrySet; missing: readonly string[] }>();

/** The names of `subscribed` (but `*`) that `entries` lacks; worked out once for streams that share both. */
function missingNames(subscribed: readonly string[], entries: EntrySet): readonly string[] {
  const cached = missingCache.get(subscribed);
  if (cached?.entries === entries) return cached.missing;
  const missing = subscribed.filter(name => name !== '*' && !entries.has(name));
  missingCache.set(subscribed, { entries, missing });
  return missing;
}

function* namesOf(entries: readonly SnapshotEntry[]): Iterable<string> {
  for (const entry of entries) yield entry.name;
}

export class DeltaAdsStream extends DiscoveryStream<DeltaDiscoveryRequest, DeltaTypeState> {
  handleRequest(request: DeltaDiscoveryRequest): void {
    const found = this.typeOf(request);
    if (found === undefined) return;
    const [typeUrl, state] = found;
    const answered = request.response_nonce === '' ? undefined : state.pending.get(request.response_nonce);
    if (answered !== undefined) {
      this.settle(typeUrl, state, answered, request.error_detail);
      // The clusters kept alive for the routes and listeners the proxy runs may go now.
      if (holdsClusterRefs(typeUrl)) this.schedule();
    }
    if (this.subscribe(typeUrl, state, request)) this.schedule();
  }

  /** Applies the request's subscription changes; whether there is anything to work out. */
  private subscribe(typeUrl: string, state: DeltaTypeState, request: DeltaDiscoveryRequest): boolean {
    const add = request.resource_names_subscribe;
    const drop = request.resource_names_unsubscribe;
    const first = !state.requested;
    let wildcard = state.wildcard;
    if (first && add.length === 0 && isWildcardType(typeUrl)) wildcard = true;
    if (add.includes('*')) wildcard = true;
    if (drop.includes('*')) wildcard = false;
    const names = subscriptions.get(state.names, add, drop);
    if (!first && wildcard === state.wildcard && names === state.names) return state.force;
    if (first) {
      state.requested = true;
      if (Object.keys(request.initial_resource_versions).length > 0)
        state.initialVersions = request.initial_resource_versions;
    }
    if (add.length > 0) state.added = state.added.length === 0 ? add : [...state.added, ...add];
    // What the proxy stops subscribing to, it drops: no need to tell it to.
    if (drop.length > 0 && state.held !== undefined)
      state.held = withoutDropped.get(state.held, NO_LIST, drop);
    state.wildcard = wildcard;
    state.names = names;
    state.force = true;
    this.status.subscribed(this.nodeId ?? '', typeUrl, wildcard ? '*' : names);
    return true;
  }

  protected newTypeState(): DeltaTypeState {
    return new DeltaTypeState();
  }

  protected respond(snapshot: ResourceSnapshot): void {
    // Worked out for every type first, sent only once the throttle lets this stream push.
    const considered: DeltaTypeState[] = [];
    const sends: PlannedSend[] = [];
    let inUse: Set<string> | undefined;
    for (const typeUrl of inPushOrder(this.types.keys())) {
      const state = this.types.get(typeUrl);
      if (state === undefined || !state.requested) continue;
      const unchanged = state.evaluated === snapshot && !(this.refsChanged && isClusterScoped(typeUrl));
      if (unchanged && !state.force) continue;
      considered.push(state);
      const available = snapshot.types.get(typeUrl);
      if (state.initialVersions !== undefined) {
        state.held = heldFrom(typeUrl, state.initialVersions, available);
        state.inEffect = [{ version: '', nonce: '', entries: state.held }];
        state.initialVersions = undefined;
      }
      const held = state.held ?? NO_ENTRIES;
      const gone = isClusterScoped(typeUrl) ? removedBetween(held, available?.entries ?? NO_ENTRIES) : [];
      if (gone.length > 0) inUse ??= this.clusterRefsInUse();
      const wanted = wantedEntries(state, available, state.held, gone, inUse) ?? {
        version: EMPTY_VERSION,
        entries: NO_ENTRIES,
      };
      const changes = changesBetween(held, wanted.entries);
      let removed = removedBetween(held, wanted.entries);
      // Names just subscribed to that do not exist are reported removed: the proxy need not wait.
      const missing = state.force ? missingNames(state.added, wanted.entries) : NO_LIST;
      if (missing.length > 0) removed = [...new Set([...removed, ...missing])];
      if (changes.changed.length === 0 && removed.length === 0 && state.answered) {
        // Nothing to tell: the proxy holds what it should (the shared set from now on).
        state.held = wanted.entries;
        state.force = false;
        state.added = NO_LIST;
        continue;
      }
      sends.push({ typeUrl, state, wanted, changes, removed, shareable: missing.length === 0 });
    }
    if (sends.length > 0 && this.hooks.throttle !== undefined) {
      // An ACK is small, so what a push puts in flight is mostly the response itself (copied by
      // grpc-js until the socket takes it), plus the EDS and RDS subscriptions that new clusters and
      // listeners lead to. Weighed so, a full sync of many proxies goes a few at a time.
      let answerBytes = 0;
      for (const { typeUrl, changes } of sends) {
        answerBytes += ANSWER_OVERHEAD_BYTES + changedWireBytes(changes);
        if (isWildcardType(typeUrl)) answerBytes += encodedNamesBytes(changes, namesOf(changes.changed));
      }
      // Waits its turn, nothing changed; resume() comes back here and works it out again.
      if (!this.hooks.throttle.acquire(this, answerBytes)) return;
    }
    for (const state of considered) state.evaluated = snapshot;
    for (const send of sends) this.send(send);
    this.refsChanged = false;
    if (!this.awaitsAnswers()) this.hooks.throttle?.release(this);
  }

  private send({ typeUrl, state, wanted, changes, removed, shareable }: PlannedSend): void {
    const { version, entries } = wanted;
    const makeBody = (): Buffer =>
      assembleDeltaResponseBody(version, typeUrl, wires(changes.changed), removed);
    const shared = shareable ? this.hooks.shared?.get(typeUrl, version, changes, makeBody) : undefined;
    // A stream never gets a nonce it already has (the same change may come round again).
    const fresh = shared === undefined || state.pending.has(shared.nonce) || state.lastNonce === shared.nonce;
    const nonce = fresh ? this.hooks.nextNonce() : shared.nonce;
    state.lastNonce = nonce;
    state.held = entries;
    state.force = false;
    state.answered = true;
    state.added = NO_LIST;
    state.sent({ version, nonce, entries });
    this.status.sent(this.nodeId ?? '', typeUrl, version, nonce);
    if (!fresh) {
      this.sink.write(shared.bytes);
      return;
    }
    this.sink.write(finishDeltaResponse(shared?.body ?? makeBody(), nonce, this.hooks.controlPlaneId));
  }
}

/** The resources of a delta response, with their versions. */
function wires(entries: readonly SnapshotEntry[]): DeltaResourceWire[] {
  return entries.map(entry => ({ name: entry.name, version: resourceVersion(entry), wire: entry.wire }));
}
