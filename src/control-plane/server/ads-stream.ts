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
import type { ResourceSnapshot, SnapshotEntry } from '../cache/resource-snapshot.js';
import { inPushOrder, isClusterScoped, isWildcardType, sendsChangesOnly } from './push-order.js';
import { BaseTypeState, DiscoveryStream, type SentSet } from './discovery-stream.js';
import {
  ANSWER_OVERHEAD_BYTES,
  changesBetween,
  encodedNamesBytes,
  impliedSubscriptionBytes,
  NO_ENTRIES,
  removedBetween,
  wantedEntries,
  type Changes,
} from './resource-sets.js';

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

class TypeState extends BaseTypeState {
  requested = false;
  force = false;
  wildcard = false;
  names: ReadonlySet<string> = new Set<string>();
  /** The request's list the names came from: the same list again changes nothing. */
  namesFrom: readonly string[] | undefined;
  lastSent: SentSet | undefined;
  /** The last set the proxy ACKed: what it holds, unless it accepts a response still unanswered. */
  acked: SentSet | undefined;
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

export class AdsStream extends DiscoveryStream<DiscoveryRequest, TypeState> {
  handleRequest(request: DiscoveryRequest): void {
    const found = this.typeOf(request);
    if (found === undefined) return;
    const [typeUrl, state] = found;

    const nonce = request.response_nonce;
    if (nonce === '' || state.lastSent === undefined) {
      state.force = true;
    } else {
      const answered = state.pending.get(nonce);
      if (answered !== undefined) {
        this.settle(typeUrl, state, answered, request.error_detail);
        if (request.error_detail === undefined) state.acked = answered;
      }
      if (nonce !== state.lastSent.nonce) return;
    }
    this.subscribe(typeUrl, state, request.resource_names);
    this.schedule();
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

  protected newTypeState(): TypeState {
    return new TypeState();
  }

  protected respond(snapshot: ResourceSnapshot): void {
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
      const gone =
        isClusterScoped(typeUrl) && state.lastSent !== undefined
          ? removedBetween(state.lastSent.entries, available)
          : [];
      if (gone.length > 0) inUse ??= this.clusterRefsInUse();
      const wanted = wantedEntries(state, snapshot.types.get(typeUrl), state.lastSent?.entries, gone, inUse);
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
          impliedSubscriptionBytes(typeUrl, entries, entries.keys());
      }
      // Waits its turn, nothing changed; resume() comes back here and works it out again.
      if (!this.hooks.throttle.acquire(this, answerBytes)) return;
    }
    for (const state of considered) state.evaluated = snapshot;
    for (const send of sends) this.send(send.typeUrl, send.state, send.version, send.entries);
    this.refsChanged = false;
    if (!this.awaitsAnswers()) this.hooks.throttle?.release(this);
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
    const shared = this.hooks.shared?.get(typeUrl, version, key, () =>
      assembleResponseBody(
        version,
        typeUrl,
        Array.from(resources, e => e.wire),
      ),
    );
    const fresh =
      shared === undefined || state.pending.has(shared.nonce) || state.lastSent?.nonce === shared.nonce;
    const nonce = fresh ? this.hooks.nextNonce() : shared.nonce;
    const sent: SentSet = { version, nonce, entries };
    state.lastSent = sent;
    state.force = false;
    state.sent(sent);
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
    // A NACKed response may be held too, in part: a proxy applies the valid resources of a response
    // it NACKs (gRFC A46; Envoy's LDS) — inEffect holds the ACKed set and the NACKed ones since.
    const bases = new Set([state.acked, ...state.inEffect, ...state.pending.values()]);
    if (bases.size === 1) return changesBetween(state.acked.entries, entries);
    // Several sets the proxy may hold (NACKed, or not yet answered): what differs from any of them.
    const changed = new Set<SnapshotEntry>();
    for (const base of bases) for (const e of changesBetween(base.entries, entries).changed) changed.add(e);
    return { to: entries, changed: [...changed] };
  }
}
