/**
 * One state-of-the-world ADS stream (one proxy connection), per xDS's SotW rules:
 *
 * - the first request carries the node; each request names a type URL, the resources wanted (LDS/CDS:
 *   none or `*` means all; RDS/EDS: by name), and, after the first, the nonce of the response it answers;
 * - a request with the latest nonce and no error_detail ACKs that response; with error_detail it NACKs
 *   it: the NACK is recorded and nothing is resent until the snapshot changes;
 * - a request with an older nonce only settles that response (ACK/NACK bookkeeping), never triggers one;
 * - a first request for a type (no nonce) is always answered, so a reconnecting proxy gets its config.
 *
 * Responses are computed in one pass per event-loop turn, types in push order (clusters, endpoints,
 * listeners, routes), so requests that arrive together are answered in that order. Make-before-break:
 * a cluster (and its endpoints) removed from the snapshot is still sent while a route or listener the
 * proxy runs, or has been sent and not yet answered, names it; it goes once the new routes are ACKed.
 *
 * RDS and EDS responses carry only what changed (see sendsChangesOnly): the resources that differ from
 * every set the proxy may hold now (the last it ACKed, and those sent and not yet answered, which it
 * may still accept). The version sent is still that of the whole set the proxy then has. A first
 * request, a new subscription and a proxy that never ACKed get the whole set.
 */
import { assembleResponseBody, finishResponse, type DiscoveryRequest } from '../../xds/index.js';
import { versionOf, type SnapshotEntry } from '../cache/resource-snapshot.js';
import type { ResourceSnapshot } from '../cache/resource-snapshot.js';
import type { SnapshotCache } from '../cache/snapshot-cache.js';
import {
  holdsClusterRefs,
  inPushOrder,
  isClusterScoped,
  isWildcardType,
  sendsChangesOnly,
} from './push-order.js';
import type { PushThrottle, ThrottledStream } from './push-throttle.js';
import type { NackRecord, StatusRegistry } from './xds-status.js';

/** The write side of the gRPC call. */
export interface ResponseSink {
  write(response: Buffer): unknown;
  fail(message: string): void;
}

/** A response sent on this stream. */
interface SentSet {
  readonly version: string;
  readonly nonce: string;
  readonly entries: ReadonlyMap<string, SnapshotEntry>;
}

const NO_ENTRIES: ReadonlyMap<string, SnapshotEntry> = new Map();
const EMPTY_VERSION = versionOf([]);

/** Response bodies by resource set: proxies sent the same set share one body (encode once, send many). */
const bodies = new WeakMap<
  ReadonlyMap<string, SnapshotEntry>,
  { typeUrl: string; version: string; body: Buffer }
>();

/** The body (all but nonce and control plane) of a response carrying `entries`; exported for tests. */
export function responseBody(
  typeUrl: string,
  version: string,
  entries: ReadonlyMap<string, SnapshotEntry>,
): Buffer {
  const cached = bodies.get(entries);
  if (cached !== undefined && cached.typeUrl === typeUrl && cached.version === version) return cached.body;
  const wires: Buffer[] = [];
  for (const entry of entries.values()) wires.push(entry.wire);
  const body = assembleResponseBody(version, typeUrl, wires);
  bodies.set(entries, { typeUrl, version, body });
  return body;
}

/** Names removed between two sets, computed once per pair however many proxies share them. */
const removals = new WeakMap<
  ReadonlyMap<string, SnapshotEntry>,
  { to: ReadonlyMap<string, SnapshotEntry>; gone: readonly string[] }
>();

function removedSince(sent: SentSet | undefined, now: ReadonlyMap<string, SnapshotEntry>): readonly string[] {
  if (sent === undefined) return [];
  const cached = removals.get(sent.entries);
  if (cached !== undefined && cached.to === now) return cached.gone;
  const gone: string[] = [];
  for (const name of sent.entries.keys()) if (!now.has(name)) gone.push(name);
  removals.set(sent.entries, { to: now, gone });
  return gone;
}

/** What changed from one set to another: computed once per pair however many proxies share them. */
interface Changes {
  readonly to: ReadonlyMap<string, SnapshotEntry>;
  /** The entries of `to` that are not in the other set, or differ there. */
  readonly changed: readonly SnapshotEntry[];
}

const changesCache = new WeakMap<ReadonlyMap<string, SnapshotEntry>, Changes>();

/** The entries of `to` that `from` lacks or holds with other content. */
function changesBetween(
  from: ReadonlyMap<string, SnapshotEntry>,
  to: ReadonlyMap<string, SnapshotEntry>,
): Changes {
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

/** A request's bytes besides its names (type URL, version, nonce), for the push throttle. */
const ANSWER_OVERHEAD_BYTES = 256;

const namesBytes = new WeakMap<object, number>();

/**
 * The encoded size of resource names as a request lists them, worked out once per collection
 * (`key`: an interned name list, or a resource set's entries).
 */
function encodedNamesBytes(key: object, names: Iterable<string>): number {
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
 * length) as the response has resources.
 */
function impliedSubscriptionBytes(typeUrl: string, entries: ReadonlyMap<string, SnapshotEntry>): number {
  return isWildcardType(typeUrl) ? encodedNamesBytes(entries, entries.keys()) : 0;
}

/** At most this many unanswered responses are remembered per type; older ones count as superseded. */
const MAX_PENDING = 16;
/** Rejected sets still kept alive for make-before-break, per type. */
const MAX_IN_EFFECT = 4;

class TypeState {
  requested = false;
  force = false;
  wildcard = false;
  names: ReadonlySet<string> = new Set<string>();
  /** The request's list the names came from: the same list again changes nothing. */
  namesFrom: readonly string[] | undefined;
  lastSent: SentSet | undefined;
  /** Snapshot this type was last worked out for: nothing to do again until it, or the rest, changes. */
  evaluated: ResourceSnapshot | undefined;
  /** What the proxy may be running: the last ACKed set plus any partly rejected since. */
  inEffect: SentSet[] = [];
  /** The last set the proxy ACKed: what it holds, unless it accepts a response still unanswered. */
  acked: SentSet | undefined;
  readonly pending = new Map<string, SentSet>();
}

export interface StreamAck {
  readonly nodeId: string;
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
}

/**
 * Whole responses shared by the streams of one server: every stream sent the same body gets the same
 * bytes under the same nonce, so a push to a thousand proxies builds one response, not a thousand
 * copies of it. (A nonce only has to tell apart the responses of one stream and type; a stream that
 * would get a nonce it already has gets a fresh one.)
 */
export class SharedResponses {
  /** By what was sent: a whole set (its entries map) or the changes from one set to another. */
  private readonly bySet = new WeakMap<
    object,
    { readonly typeUrl: string; readonly version: string; readonly response: SharedResponse }
  >();

  constructor(
    private readonly controlPlaneId: string,
    private readonly nextNonce: () => string,
  ) {}

  /**
   * The response carrying `resources` under `version`, made on first use; `key` is the object they
   * come from (a set's entries map, or the Changes between two sets), shared by the streams sent them.
   */
  get(typeUrl: string, version: string, key: object, resources: Iterable<SnapshotEntry>): SharedResponse {
    const cached = this.bySet.get(key);
    if (cached !== undefined && cached.typeUrl === typeUrl && cached.version === version)
      return cached.response;
    const wires: Buffer[] = [];
    for (const entry of resources) wires.push(entry.wire);
    const body = assembleResponseBody(version, typeUrl, wires);
    const nonce = this.nextNonce();
    // The body is the response's prefix: kept once, as part of the response.
    const bytes = finishResponse(body, nonce, this.controlPlaneId);
    const response = { nonce, bytes, body: bytes.subarray(0, body.length) };
    this.bySet.set(key, { typeUrl, version, response });
    return response;
  }
}

/** A response shared by streams, and its body (everything but nonce and control plane). */
export interface SharedResponse {
  readonly nonce: string;
  readonly bytes: Buffer;
  readonly body: Buffer;
}

export interface StreamHooks {
  readonly controlPlaneId: string;
  /** When given, responses are shared with the other streams that use the same object. */
  readonly shared?: SharedResponses;
  /** When given, the stream pushes only while it holds one of its slots. */
  readonly throttle?: PushThrottle;
  nextNonce(): string;
  onAck(ack: StreamAck): void;
  onNack(nack: StreamAck & { readonly errorDetail: NackRecord['errorDetail'] }): void;
}

/** coversAll's last answer per name set: streams that share a subscription share the work. */
const coverage = new WeakMap<
  ReadonlySet<string>,
  { entries: ReadonlyMap<string, SnapshotEntry>; covers: boolean }
>();

/** Whether every resource of `entries` is among `names`. */
function coversAll(names: ReadonlySet<string>, entries: ReadonlyMap<string, SnapshotEntry>): boolean {
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
 * A request's name list as a set, built once per list: requests decoded with interned names (see
 * InterningRequestDecoder) hand every stream the same array, so they get the same set too.
 */
const nameSets = new WeakMap<readonly string[], { star: boolean; named: ReadonlySet<string> }>();

function nameSetOf(names: readonly string[]): { star: boolean; named: ReadonlySet<string> } {
  let set = nameSets.get(names);
  if (set === undefined) {
    set = { star: names.includes('*'), named: new Set(names.filter(n => n !== '*')) };
    nameSets.set(names, set);
  }
  return set;
}

function sameNames(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const n of a) if (!b.has(n)) return false;
  return true;
}

export class AdsStream implements ThrottledStream {
  private nodeId: string | undefined;
  private readonly types = new Map<string, TypeState>();
  private scheduled = false;
  private closed = false;
  /** An answer to routes or listeners arrived: the clusters kept alive for them may change. */
  private refsChanged = false;

  constructor(
    private readonly sink: ResponseSink,
    private readonly cache: SnapshotCache,
    private readonly status: StatusRegistry,
    private readonly hooks: StreamHooks,
  ) {}

  /** The node id, once the first request has arrived. */
  get node(): string | undefined {
    return this.nodeId;
  }

  handleRequest(request: DiscoveryRequest): void {
    if (this.closed) return;
    if (this.nodeId === undefined) {
      const id = request.node?.id ?? '';
      if (id === '') {
        this.sink.fail('the first DiscoveryRequest of a stream must carry node.id');
        return;
      }
      this.nodeId = id;
      this.status.streamOpened(id);
    }
    const typeUrl = request.type_url;
    if (typeUrl === '') return;
    let state = this.types.get(typeUrl);
    if (state === undefined) {
      state = new TypeState();
      this.types.set(typeUrl, state);
    }

    const nonce = request.response_nonce;
    if (nonce === '' || state.lastSent === undefined) {
      state.force = true;
    } else {
      const answered = state.pending.get(nonce);
      if (answered !== undefined) this.settle(typeUrl, state, answered, request);
      if (nonce !== state.lastSent.nonce) return;
    }
    this.subscribe(typeUrl, state, request.resource_names);
    this.schedule();
  }

  /** The node's snapshot may have changed. */
  snapshotChanged(): void {
    if (this.nodeId !== undefined) this.schedule();
  }

  /** Given a push slot after waiting for one. */
  resume(): void {
    this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hooks.throttle?.forget(this);
    if (this.nodeId !== undefined) this.status.streamClosed(this.nodeId);
  }

  private subscribe(typeUrl: string, state: TypeState, names: readonly string[]): void {
    if (state.requested && names === state.namesFrom && names.length > 0) return;
    const { star, named } = nameSetOf(names);
    const wildcard =
      names.length === 0 ? isWildcardType(typeUrl) && (!state.requested || state.wildcard) : star;
    if (
      state.requested &&
      (wildcard !== state.wildcard || (named !== state.names && !sameNames(named, state.names)))
    )
      state.force = true;
    state.namesFrom = names;
    state.requested = true;
    state.wildcard = wildcard;
    state.names = named;
    this.status.subscribed(this.nodeId ?? '', typeUrl, wildcard ? '*' : named);
  }

  private settle(typeUrl: string, state: TypeState, answered: SentSet, request: DiscoveryRequest): void {
    // Responses are processed in order: this one and every older one are settled.
    for (const nonce of state.pending.keys()) {
      state.pending.delete(nonce);
      if (nonce === answered.nonce) break;
    }
    const nodeId = this.nodeId ?? '';
    const latest = answered.nonce === state.lastSent?.nonce;
    if (holdsClusterRefs(typeUrl)) this.refsChanged = true;
    const event = { nodeId, typeUrl, version: answered.version, nonce: answered.nonce };
    if (request.error_detail !== undefined) {
      state.inEffect = [...state.inEffect, answered].slice(-MAX_IN_EFFECT);
      const nack: NackRecord = {
        version: answered.version,
        nonce: answered.nonce,
        errorDetail: request.error_detail,
        at: new Date().toISOString(),
      };
      this.status.nacked(nodeId, typeUrl, nack, latest);
      this.hooks.onNack({ ...event, errorDetail: request.error_detail });
    } else {
      state.inEffect = [answered];
      state.acked = answered;
      this.status.acked(nodeId, typeUrl, answered.version, latest);
      this.hooks.onAck(event);
    }
    if (!this.awaitsAnswers()) this.hooks.throttle?.release(this);
  }

  /** Whether a response of any type is still unanswered. */
  private awaitsAnswers(): boolean {
    for (const state of this.types.values()) if (state.pending.size > 0) return true;
    return false;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.respond();
    });
  }

  private respond(): void {
    if (this.closed || this.nodeId === undefined) return;
    const snapshot = this.cache.snapshotFor(this.nodeId);
    if (snapshot === undefined) return;
    // Worked out for every type first, sent only once the throttle lets this stream push.
    const considered: TypeState[] = [];
    const sends: {
      typeUrl: string;
      state: TypeState;
      version: string;
      entries: ReadonlyMap<string, SnapshotEntry>;
    }[] = [];
    let inUse: Set<string> | undefined;
    for (const typeUrl of inPushOrder(this.types.keys())) {
      const state = this.types.get(typeUrl);
      if (state === undefined || !state.requested || (!state.wildcard && state.names.size === 0)) continue;
      const unchanged = state.evaluated === snapshot && !(this.refsChanged && isClusterScoped(typeUrl));
      if (unchanged && !state.force) continue;
      considered.push(state);
      const available = snapshot.types.get(typeUrl)?.entries ?? NO_ENTRIES;
      const gone = isClusterScoped(typeUrl) ? removedSince(state.lastSent, available) : [];
      if (gone.length > 0) inUse ??= this.clusterRefsInUse();
      const wanted = this.wanted(typeUrl, state, snapshot, gone, inUse);
      if (wanted === undefined) continue;
      if (!state.force && wanted.version === state.lastSent?.version) continue;
      sends.push({ typeUrl, state, version: wanted.version, entries: wanted.entries });
    }
    if (sends.length > 0 && this.hooks.throttle !== undefined) {
      // The proxy answers each response with its subscription, and follows clusters and listeners
      // with new EDS and RDS subscriptions: that is what the push puts in flight.
      let answerBytes = 0;
      for (const { typeUrl, state, entries } of sends) {
        answerBytes +=
          ANSWER_OVERHEAD_BYTES +
          (state.namesFrom === undefined ? 0 : encodedNamesBytes(state.namesFrom, state.namesFrom)) +
          impliedSubscriptionBytes(typeUrl, entries);
      }
      // Waits its turn, nothing changed; resume() comes back here and works it out again.
      if (!this.hooks.throttle.acquire(this, answerBytes)) return;
    }
    for (const state of considered) state.evaluated = snapshot;
    for (const send of sends) this.send(send.typeUrl, send.state, send.version, send.entries);
    this.refsChanged = false;
    if (!this.awaitsAnswers()) this.hooks.throttle?.release(this);
  }

  /** Clusters named by what the proxy runs or has been sent and not answered. */
  private clusterRefsInUse(): Set<string> {
    const refs = new Set<string>();
    for (const [typeUrl, state] of this.types) {
      if (!holdsClusterRefs(typeUrl)) continue;
      for (const set of [...state.inEffect, ...state.pending.values()]) {
        for (const entry of set.entries.values()) for (const ref of entry.clusterRefs) refs.add(ref);
      }
    }
    return refs;
  }

  /** What the proxy should have of one type; `undefined` when there is nothing to say. */
  private wanted(
    typeUrl: string,
    state: TypeState,
    snapshot: ResourceSnapshot,
    gone: readonly string[],
    inUse: ReadonlySet<string> | undefined,
  ): { version: string; entries: ReadonlyMap<string, SnapshotEntry> } | undefined {
    const available = snapshot.types.get(typeUrl);
    const kept: SnapshotEntry[] = [];
    for (const name of gone) {
      if (inUse?.has(name) !== true || (!state.wildcard && !state.names.has(name))) continue;
      const entry = state.lastSent?.entries.get(name);
      if (entry !== undefined) kept.push(entry);
    }
    if (
      kept.length === 0 &&
      (state.wildcard || (available !== undefined && coversAll(state.names, available.entries)))
    ) {
      // The common case: the type's whole set, shared by every proxy (no copy, version precomputed).
      return available === undefined ? { version: EMPTY_VERSION, entries: NO_ENTRIES } : available;
    }
    const entries = new Map<string, SnapshotEntry>();
    if (state.wildcard) {
      for (const [name, entry] of available?.entries ?? NO_ENTRIES) entries.set(name, entry);
    } else {
      for (const name of state.names) {
        const entry = available?.entries.get(name);
        if (entry !== undefined) entries.set(name, entry);
      }
    }
    for (const entry of kept) entries.set(entry.name, entry);
    if (entries.size === 0 && state.lastSent === undefined) return undefined;
    return { version: versionOf(entries.values()), entries };
  }

  private send(
    typeUrl: string,
    state: TypeState,
    version: string,
    entries: ReadonlyMap<string, SnapshotEntry>,
  ): void {
    const changes = this.changesOnly(typeUrl, state, entries);
    const key = changes ?? entries;
    const resources = changes?.changed ?? entries.values();
    const shared = this.hooks.shared?.get(typeUrl, version, key, resources);
    const fresh =
      shared === undefined || state.pending.has(shared.nonce) || state.lastSent?.nonce === shared.nonce;
    const nonce = fresh ? this.hooks.nextNonce() : shared.nonce;
    const sent: SentSet = { version, nonce, entries };
    state.lastSent = sent;
    state.force = false;
    state.pending.set(nonce, sent);
    if (state.pending.size > MAX_PENDING) {
      const oldest = state.pending.keys().next().value;
      if (oldest !== undefined) state.pending.delete(oldest);
    }
    this.status.sent(this.nodeId ?? '', typeUrl, version, nonce);
    if (!fresh) {
      this.sink.write(shared.bytes);
      return;
    }
    const body =
      shared?.body ??
      (changes === undefined
        ? responseBody(typeUrl, version, entries)
        : assembleResponseBody(
            version,
            typeUrl,
            changes.changed.map(e => e.wire),
          ));
    this.sink.write(finishResponse(body, nonce, this.hooks.controlPlaneId));
  }

  /**
   * For RDS and EDS once the proxy has ACKed a set under its current subscription: what `entries`
   * changes with respect to every set the proxy may hold. `undefined`: send the whole set.
   */
  private changesOnly(
    typeUrl: string,
    state: TypeState,
    entries: ReadonlyMap<string, SnapshotEntry>,
  ): Changes | undefined {
    // A forced response answers a first request or a new subscription: the proxy may lack anything.
    if (!sendsChangesOnly(typeUrl) || state.force || state.acked === undefined) return undefined;
    const bases = [state.acked, ...state.pending.values()];
    if (bases.length === 1) return changesBetween(state.acked.entries, entries);
    // Several sets the proxy may hold (responses not yet answered): what differs from any of them.
    const changed = new Set<SnapshotEntry>();
    for (const base of bases) for (const e of changesBetween(base.entries, entries).changed) changed.add(e);
    return { to: entries, changed: [...changed] };
  }
}
