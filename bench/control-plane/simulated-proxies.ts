/**
 * Many simulated proxies in one process, each one ADS stream (state of the world or delta) that
 * behaves as a proxy does on the wire: it subscribes to clusters and listeners (wildcard), then to the
 * endpoints of every cluster and the route table of every listener, and ACKs every response (state of
 * the world: with the names it wants; delta: with the nonce alone, subscriptions sent as changes).
 *
 * What it does not do is apply the resources: it reads only version, type and nonce of each response,
 * and works out the names to subscribe to once per distinct CDS/LDS version (shared by all proxies),
 * so the benchmark measures the control plane, not a thousand proxies' decoding. Streams share a few
 * grpc-js channels (HTTP/2 connections), many streams each.
 *
 * Spread over namespaces, each proxy names its namespace in an Istio node id
 * (`sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`) and uses its namespace's channels; over TLS,
 * each namespace's channels present that namespace's client certificate (one workload identity per
 * namespace, as the SPIFFE ID `spiffe://cluster.local/ns/<ns>/sa/default` says).
 */
import * as grpc from '@grpc/grpc-js';
import type { XdsApi } from '../../src/xds/ads-client.js';
import { ADS_METHOD_PATH, DELTA_ADS_METHOD_PATH, decodeListener, TypeUrls } from '../../src/xds/index.js';
import {
  clusterName,
  encodeDeltaRequest,
  encodeRequest,
  encodeResourceNames,
  readDeltaResponseHead,
  readResponseHead,
  type DeltaResponseHead,
} from './discovery-wire.js';

/** Names a proxy subscribes to, and their encoding, shared by every proxy that wants the same. */
interface NameList {
  readonly names: readonly string[];
  readonly encoded: Buffer;
}

const EMPTY_NAMES: NameList = { names: [], encoded: Buffer.alloc(0) };

/** A delta subscription change from one name list to another, encoded once for every proxy. */
interface SubscriptionChange {
  /** Subscribe (field 3) and unsubscribe (field 4) lists. */
  readonly encoded: Buffer;
  /** Whether names are added: only then does the server answer. */
  readonly subscribes: boolean;
}

/** What a CDS or LDS version holds: each resource's name and the name it leads to subscribe to. */
type HeldNames = ReadonlyMap<string, string>;

/** What one type of one stream last received and ACKed. */
interface TypeProgress {
  version: string;
  nonce: string;
  acked: string;
  /** Names subscribed to (EDS/RDS); empty for the wildcard types. */
  subscription: NameList;
  /** The subscription changed and no response has come since. */
  awaiting: boolean;
}

/** Resolved once every stream it follows has ACKed a version `accept` says yes to. */
interface AckWaiter {
  readonly typeUrl: string;
  readonly accept: (version: string, proxy: SimulatedProxy) => boolean;
  /** The streams followed. */
  readonly among: ReadonlySet<SimulatedProxy>;
  readonly done: Set<SimulatedProxy>;
  /** Time each stream sent its ACK (performance.now()). */
  readonly ackTimes: number[];
  readonly resolve: (ackTimes: number[]) => void;
}

const ALL_TYPES = [
  TypeUrls.cluster,
  TypeUrls.clusterLoadAssignment,
  TypeUrls.listener,
  TypeUrls.routeConfiguration,
];

export class SimulatedProxy {
  readonly progress = new Map<string, TypeProgress>();
  /** Responses received, of every type. */
  responses = 0;
  private readonly call: grpc.ClientDuplexStream<Buffer, Buffer>;

  constructor(
    private readonly fleet: ProxyFleet,
    channel: grpc.Client,
    readonly nodeId: string,
    /** The namespace it names, if any. */
    readonly namespace: string | undefined,
  ) {
    for (const typeUrl of ALL_TYPES)
      this.progress.set(typeUrl, {
        version: '',
        nonce: '',
        acked: '',
        subscription: EMPTY_NAMES,
        awaiting: false,
      });
    const delta = fleet.api === 'delta';
    this.call = channel.makeBidiStreamRequest(
      delta ? DELTA_ADS_METHOD_PATH : ADS_METHOD_PATH,
      (request: Buffer) => request,
      (bytes: Buffer) => bytes,
    );
    this.call.on('data', (response: Buffer) => this.onResponse(response));
    this.call.on('error', (err: grpc.ServiceError) => fleet.streamFailed(this, err));
    if (delta) {
      this.call.write(encodeDeltaRequest(TypeUrls.cluster, '', EMPTY_NAMES.encoded, nodeId));
      this.call.write(encodeDeltaRequest(TypeUrls.listener, '', EMPTY_NAMES.encoded));
    } else {
      this.call.write(encodeRequest(TypeUrls.cluster, '', '', EMPTY_NAMES.encoded, nodeId));
      this.call.write(encodeRequest(TypeUrls.listener, '', '', EMPTY_NAMES.encoded));
    }
  }

  /** True once every type has been ACKed for the names the latest clusters and listeners call for. */
  get synced(): boolean {
    for (const typeUrl of ALL_TYPES) {
      const p = this.progress.get(typeUrl);
      if (p === undefined || p.acked === '' || p.awaiting) return false;
    }
    const cds = this.progress.get(TypeUrls.cluster)!;
    const lds = this.progress.get(TypeUrls.listener)!;
    return (
      this.progress.get(TypeUrls.clusterLoadAssignment)!.subscription ===
        this.fleet.namesFor(TypeUrls.cluster, cds.acked) &&
      this.progress.get(TypeUrls.routeConfiguration)!.subscription ===
        this.fleet.namesFor(TypeUrls.listener, lds.acked)
    );
  }

  close(): void {
    this.call.removeAllListeners('error');
    this.call.on('error', () => {});
    this.call.cancel();
  }

  /**
   * A response of either variant: ACK it (state of the world: with the names asked for; delta: with
   * the nonce), then, for clusters and listeners, follow the names they imply.
   */
  private onResponse(response: Buffer): void {
    const delta = this.fleet.api === 'delta';
    const receivedAt = performance.now();
    this.fleet.bytesReceived += response.length;
    this.fleet.responses++;
    this.responses++;
    const head = delta ? readDeltaResponseHead(response, false) : readResponseHead(response, false);
    const { typeUrl, versionInfo } = head;
    this.fleet.sawResponse(typeUrl, versionInfo, receivedAt);
    const p = this.progress.get(typeUrl);
    if (p === undefined) return;
    const before = p.acked;
    p.version = versionInfo;
    p.nonce = head.nonce;
    p.awaiting = false;
    if (delta) this.write(encodeDeltaRequest(typeUrl, head.nonce, EMPTY_NAMES.encoded));
    else this.send(typeUrl, p);
    p.acked = versionInfo;
    this.fleet.acked(this, typeUrl, versionInfo, performance.now());
    if (typeUrl !== TypeUrls.cluster && typeUrl !== TypeUrls.listener) return;
    const names =
      this.fleet.namesFor(typeUrl, versionInfo) ??
      (delta
        ? this.fleet.namesAfterDelta(typeUrl, before, versionInfo, readDeltaResponseHead(response, true))
        : this.fleet.namesFrom(typeUrl, versionInfo, readResponseHead(response, true).resources));
    this.resubscribe(
      typeUrl === TypeUrls.cluster ? TypeUrls.clusterLoadAssignment : TypeUrls.routeConfiguration,
      names,
    );
  }

  private write(request: Buffer): void {
    this.fleet.bytesSent += request.length;
    this.call.write(request);
  }

  /** Subscribes `typeUrl` to `names`: the whole list (state of the world) or the change (delta). */
  private resubscribe(typeUrl: string, names: NameList): void {
    const p = this.progress.get(typeUrl)!;
    if (p.subscription === names) return;
    if (this.fleet.api === 'delta') {
      const change = this.fleet.subscriptionChange(p.subscription, names);
      p.subscription = names;
      // The server answers a subscription only when it adds names.
      p.awaiting = change.subscribes;
      this.write(encodeDeltaRequest(typeUrl, '', change.encoded));
      return;
    }
    p.subscription = names;
    p.awaiting = true;
    this.send(typeUrl, p);
  }

  private send(typeUrl: string, p: TypeProgress): void {
    this.write(encodeRequest(typeUrl, p.version, p.nonce, p.subscription.encoded));
  }
}

/** TLS to the server, with a client certificate per namespace. */
export interface FleetTls {
  /** The CA bundle the server's certificate chains to. */
  readonly ca: Buffer;
  /** The client certificate and key of a namespace's workloads (PEM). */
  readonly clientFor: (namespace: string) => { readonly cert: Buffer; readonly key: Buffer };
}

export interface FleetOptions {
  /** `host:port` of the ADS server. */
  readonly target: string;
  /** HTTP/2 connections shared by the streams (per namespace when spread over namespaces). */
  readonly channels: number;
  /** State of the world or delta (default `sotw`). */
  readonly api?: XdsApi;
  /** Proxy i is in `namespaces[i % namespaces.length]`; none: the proxies name no namespace. */
  readonly namespaces?: readonly string[];
  /** Connect with TLS (needs `namespaces`: the client certificate is the namespace's). */
  readonly tls?: FleetTls;
}

/** A set of simulated proxies and what they have ACKed. */
/** The proxies' HTTP/2 receive window. */
const FLOW_CONTROL_WINDOW_BYTES = 64 * 1024 * 1024;

/** The route table an encoded Listener names. */
function routeTableOf(listener: Buffer): string {
  return decodeListener(listener).listener.routeConfigName;
}

export class ProxyFleet {
  /** Channels by namespace ('' when the proxies name none). */
  private readonly channels = new Map<string, grpc.Client[]>();
  private readonly namespaces: readonly string[];
  private readonly proxies = new Set<SimulatedProxy>();
  private readonly names = new Map<string, NameList>();
  /** Delta: what each CDS/LDS version holds, by `${typeUrl} ${version}`. */
  private readonly held = new Map<string, HeldNames>();
  private readonly changes = new WeakMap<NameList, Map<NameList, SubscriptionChange>>();
  readonly api: XdsApi;
  private readonly waiters = new Set<AckWaiter>();
  private readonly firstSeen = new Map<string, number>();
  private readonly lastSeen = new Map<string, number>();
  private readonly failures: string[] = [];
  private failureCount = 0;
  private nextId = 0;
  bytesReceived = 0;
  bytesSent = 0;
  responses = 0;

  constructor(options: FleetOptions) {
    this.api = options.api ?? 'sotw';
    this.namespaces = options.namespaces ?? [];
    const tls = options.tls;
    if (tls !== undefined && this.namespaces.length === 0)
      throw new Error('TLS proxies need namespaces (their client certificates are per namespace)');
    const groups = this.namespaces.length === 0 ? [''] : this.namespaces;
    const perGroup = Math.max(1, Math.ceil(options.channels / groups.length));
    for (const namespace of groups) {
      const credentials =
        tls === undefined
          ? grpc.credentials.createInsecure()
          : grpc.credentials.createSsl(tls.ca, tls.clientFor(namespace).key, tls.clientFor(namespace).cert);
      const list: grpc.Client[] = [];
      for (let i = 0; i < perGroup; i++) {
        list.push(
          new grpc.Client(options.target, credentials, {
            // A channel of its own for each client, else grpc-js shares one connection between them.
            'grpc.use_local_subchannel_pool': 1,
            'grpc.max_receive_message_length': -1,
            'grpc.max_send_message_length': -1,
            // HTTP/2 flow-control window (stream and connection), as large as Envoy's (256 MiB by
            // default): with grpc-js's 64 KiB a full state of many MB crawls one window update at a time.
            'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
            // The server's certificate names localhost; a TLS server name may not be an address.
            ...(tls === undefined ? {} : { 'grpc.ssl_target_name_override': 'localhost' }),
          }),
        );
      }
      this.channels.set(namespace, list);
    }
  }

  /** The proxies, in the order they were added. */
  get all(): ReadonlySet<SimulatedProxy> {
    return this.proxies;
  }

  get size(): number {
    return this.proxies.size;
  }

  /** The first streams that ended with an error, with the reason. */
  get failed(): readonly string[] {
    return this.failures;
  }

  /** How many streams ended with an error. */
  get failedCount(): number {
    return this.failureCount;
  }

  /**
   * Opens `count` more streams, spread round-robin over the namespaces and over each namespace's
   * channels.
   */
  add(count: number): void {
    const groups = Math.max(1, this.namespaces.length);
    for (let i = 0; i < count; i++) {
      const id = this.nextId++;
      const namespace = this.namespaces[id % groups];
      const channels = this.channels.get(namespace ?? '')!;
      const channel = channels[Math.floor(id / groups) % channels.length]!;
      // Istio's node id: sidecar~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local.
      const nodeId =
        namespace === undefined
          ? `bench-proxy-${id}`
          : `sidecar~127.0.0.1~bench-proxy-${id}.${namespace}~${namespace}.svc.cluster.local`;
      this.proxies.add(new SimulatedProxy(this, channel, nodeId, namespace));
    }
  }

  /** Number of streams that are fully synced. */
  syncedCount(): number {
    let n = 0;
    for (const p of this.proxies) if (p.synced) n++;
    return n;
  }

  /** The version each stream has ACKed for `typeUrl` ('' for none yet). */
  ackedVersions(typeUrl: string): Map<SimulatedProxy, string> {
    const versions = new Map<SimulatedProxy, string>();
    for (const p of this.proxies) versions.set(p, p.progress.get(typeUrl)?.acked ?? '');
    return versions;
  }

  /** The version every stream has ACKed for `typeUrl`, or undefined if they differ. */
  commonAckedVersion(typeUrl: string): string | undefined {
    let version: string | undefined;
    for (const p of this.proxies) {
      const acked = p.progress.get(typeUrl)?.acked ?? '';
      if (version === undefined) version = acked;
      else if (version !== acked) return undefined;
    }
    return version;
  }

  /**
   * Follows the ACKs of `typeUrl` until every stream `among` (default all) has ACKed a version that
   * `accept` takes (streams already there count at the time of the call): `done` resolves with each
   * stream's ACK time, `count` says how many are there so far.
   */
  allAcked(
    typeUrl: string,
    accept: (version: string, proxy: SimulatedProxy) => boolean,
    among: ReadonlySet<SimulatedProxy> = this.proxies,
  ): { done: Promise<number[]>; count(): number } {
    let waiter: AckWaiter | undefined;
    const done = new Promise<number[]>(resolve => {
      waiter = { typeUrl, accept, among, done: new Set(), ackTimes: [], resolve };
    });
    const w = waiter!;
    const now = performance.now();
    for (const p of among) {
      const acked = p.progress.get(typeUrl)?.acked ?? '';
      if (acked !== '' && accept(acked, p)) {
        w.done.add(p);
        w.ackTimes.push(now);
      }
    }
    if (w.done.size === among.size) w.resolve(w.ackTimes);
    else this.waiters.add(w);
    return { done, count: () => w.done.size };
  }

  /** Forgets when versions were seen: a version can come back (an edit undone). */
  resetSeen(): void {
    this.firstSeen.clear();
    this.lastSeen.clear();
  }

  /** When a response of this type and version first and last reached any stream (performance.now()). */
  seen(typeUrl: string, version: string): { first?: number; last?: number } {
    const key = `${typeUrl} ${version}`;
    return { first: this.firstSeen.get(key), last: this.lastSeen.get(key) };
  }

  close(): void {
    for (const p of this.proxies) p.close();
    this.proxies.clear();
    for (const list of this.channels.values()) for (const c of list) c.close();
    this.waiters.clear();
  }

  /** The names a CDS/LDS version calls for, if known. */
  namesFor(typeUrl: string, version: string): NameList | undefined {
    return this.names.get(`${typeUrl} ${version}`);
  }

  /** Endpoint names of a CDS response, or route table names of an LDS one; worked out once per version. */
  namesFrom(typeUrl: string, version: string, resources: readonly Buffer[]): NameList {
    const key = `${typeUrl} ${version}`;
    const known = this.names.get(key);
    if (known !== undefined) return known;
    const names =
      typeUrl === TypeUrls.cluster ? resources.map(clusterName) : [...new Set(resources.map(routeTableOf))];
    return this.remember(key, names);
  }

  /**
   * The same for a delta response: what version `from` held, changed by the response; worked out once
   * per version too (a version is the content of the whole set the proxy then holds).
   */
  namesAfterDelta(typeUrl: string, from: string, version: string, head: DeltaResponseHead): NameList {
    const key = `${typeUrl} ${version}`;
    const known = this.names.get(key);
    if (known !== undefined) return known;
    const held = new Map(from === '' ? [] : this.held.get(`${typeUrl} ${from}`));
    for (const name of head.removed) held.delete(name);
    head.names.forEach((name, i) => {
      held.set(name, typeUrl === TypeUrls.cluster ? name : routeTableOf(head.resources[i]!));
    });
    this.held.set(key, held);
    return this.remember(key, [...new Set(held.values())]);
  }

  /** The delta request that moves a subscription from one list to another, encoded once. */
  subscriptionChange(from: NameList, to: NameList): SubscriptionChange {
    let byTarget = this.changes.get(from);
    if (byTarget === undefined) {
      byTarget = new Map();
      this.changes.set(from, byTarget);
    }
    let change = byTarget.get(to);
    if (change === undefined) {
      const had = new Set(from.names);
      const wanted = new Set(to.names);
      const added = to.names.filter(n => !had.has(n));
      const dropped = from.names.filter(n => !wanted.has(n));
      change = {
        encoded: Buffer.concat([encodeResourceNames(added, 3), encodeResourceNames(dropped, 4)]),
        subscribes: added.length > 0,
      };
      byTarget.set(to, change);
    }
    return change;
  }

  /** The shared list for these names (sorted here). */
  private remember(key: string, names: string[]): NameList {
    names.sort();
    // A new version with the same names keeps the same list, so proxies do not resubscribe.
    for (const list of this.names.values()) {
      if (list.names.length === names.length && list.names.every((n, i) => n === names[i])) {
        this.names.set(key, list);
        return list;
      }
    }
    const list: NameList = { names, encoded: encodeResourceNames(names) };
    this.names.set(key, list);
    return list;
  }

  sawResponse(typeUrl: string, version: string, at: number): void {
    const key = `${typeUrl} ${version}`;
    if (!this.firstSeen.has(key)) this.firstSeen.set(key, at);
    this.lastSeen.set(key, at);
  }

  acked(proxy: SimulatedProxy, typeUrl: string, version: string, at: number): void {
    for (const waiter of this.waiters) {
      if (waiter.typeUrl !== typeUrl || waiter.done.has(proxy) || !waiter.among.has(proxy)) continue;
      if (!waiter.accept(version, proxy)) continue;
      waiter.done.add(proxy);
      waiter.ackTimes.push(at);
      if (waiter.done.size === waiter.among.size) {
        this.waiters.delete(waiter);
        waiter.resolve(waiter.ackTimes);
      }
    }
  }

  streamFailed(proxy: SimulatedProxy, err: grpc.ServiceError): void {
    this.failureCount++;
    if (this.failures.length < 20) this.failures.push(`${proxy.nodeId}: ${err.message}`);
  }
}
