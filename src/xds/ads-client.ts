/**
 * The proxy's side of ADS, state of the world or incremental (delta): subscribes to listeners and
 * clusters (wildcard), then to the endpoints of those clusters and the route tables those listeners
 * name, and hands the proxy a consistent snapshot after each accepted update. Every response is ACKed
 * once the proxy has applied it, or NACKed with a readable `error_detail` when a resource is invalid
 * or the proxy rejects the set; the last good config keeps running either way. When the stream breaks,
 * it reconnects with backoff and the proxy keeps serving meanwhile.
 *
 * Reconnecting: every attempt gets a channel of its own, with a subchannel pool of its own. grpc-js
 * keeps a subchannel that failed to connect in TRANSIENT_FAILURE for its own connection backoff (1 s
 * growing ×1.6 up to 120 s), and fails a new call on it at once with the error it cached, without
 * trying to connect; a client that reused one channel would waste its attempts on that cached error
 * and resync only when grpc-js's backoff, grown with the outage, let it try again. A fresh channel
 * connects when the call starts, so each attempt is a real one, and the only backoff is ours
 * ({@link RetryBackoff}: capped, full jitter).
 *
 * Consistency (Envoy's warming, simplified): a listener is not handed over before its route table
 * arrived, and a route table is not handed over before every cluster it names is known; until then the
 * previously accepted version of that listener or route table (if any) stays in the snapshot.
 *
 * State of the world: an LDS or CDS response is the whole set of its type; an RDS or EDS response
 * may carry only the resources that changed (xDS allows it, and our control plane does so), so those
 * are merged into what the client holds, and a route table or endpoint set is dropped only when the
 * client stops subscribing to it.
 *
 * Delta: every response carries changed resources and the names removed, and is merged; the client
 * sends changes to its subscriptions, ACKs with the nonce alone, and on a reconnect tells the server
 * the version of every resource it holds, so that an unchanged server sends nothing again.
 */
import {
  Client,
  credentials,
  Metadata,
  status as GrpcStatus,
  type ChannelCredentials,
  type ClientDuplexStream,
  type StatusObject,
} from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  DELTA_ADS_METHOD_PATH,
  decodeDeltaDiscoveryResponse,
  encodeDeltaDiscoveryRequest,
  type DeltaDiscoveryRequest,
} from './delta-discovery-messages.js';
import {
  ADS_METHOD_PATH,
  type DiscoveryRequest,
  type XdsNode,
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
} from './discovery-messages.js';
import type {
  ClusterResource,
  EndpointAssignmentResource,
  ListenerResource,
  RedisListenerResource,
  ProxySnapshot,
  RouteConfigResource,
} from './resources.js';
import { RetryBackoff, type BackoffPolicy } from '../net/retry-backoff.js';
import { isRedisListener } from './redis-resources.js';
import { decodeResources, routeTableClusterRefs, type DecodedResources } from './snapshot-codec.js';
import { TypeUrls } from './type-urls.js';
import type { AnyMessage } from './xds-resource.js';

/** A listener the proxy could not run as given, and why. */
export interface RejectedListener {
  readonly name: string;
  readonly reason: string;
}

/** What the proxy could not apply of a snapshot; the rest of it runs. */
export interface SnapshotOutcome {
  readonly rejected: readonly RejectedListener[];
}

/**
 * What the client does with a consistent snapshot. Listeners it reports rejected are named in a NACK
 * of the update that brought them, while the rest stays applied; a rejection of the promise NACKs
 * the update and the client goes back to what it held before.
 */
export type SnapshotSink = (snapshot: ProxySnapshot) => Promise<SnapshotOutcome | void>;

/** Envoy's per-subscription counters (`update_attempt`, `update_success`, `update_rejected`). */
export interface UpdateCounters {
  attempt: number;
  success: number;
  rejected: number;
}

/** The ADS variant: state of the world (`sotw`, Envoy's GRPC) or incremental (`delta`, DELTA_GRPC). */
export type XdsApi = 'sotw' | 'delta';

export interface AdsClientOptions {
  /** `host:port` of the ADS server. */
  readonly target: string;
  readonly node: XdsNode;
  readonly onSnapshot: SnapshotSink;
  readonly logger: Logger;
  /** Default `sotw`. */
  readonly api?: XdsApi;
  /** The reconnect backoff; default {@link DEFAULT_RECONNECT_BACKOFF}. */
  readonly backoff?: BackoffPolicy;
  /** Uniform in [0, 1): the backoff's jitter (replaceable for tests). */
  readonly random?: () => number;
  /** How to connect: TLS credentials and call metadata, made anew on every connection; default plaintext. */
  readonly connection?: XdsConnection;
}

/**
 * A secured connection to the control plane (its TLS port): made anew on every (re)connection, so a
 * rotated client certificate or token file is used from the next connection on. Throwing (a file
 * missing) counts as a failed connection attempt.
 */
export interface XdsConnection {
  credentials(): ChannelCredentials;
  /** Call metadata (a service-account token as `authorization: Bearer …`). */
  metadata?(): Metadata;
  /** Channel options (`grpc.ssl_target_name_override`, the name the server's certificate must carry). */
  readonly channelOptions?: Readonly<Record<string, string | number>>;
}

/** Per resource type: what was accepted and what the server last sent. */
interface TypeState {
  version: string;
  nonce: string;
  /** Names subscribed to; empty = wildcard (LDS, CDS). */
  names: string[];
  /** Delta: the version of every resource held, by name (sent back on a reconnect). */
  readonly resourceVersions: Map<string, string>;
}

/** A response of either variant, as the client applies it. */
interface Update {
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
  readonly resources: readonly AnyMessage[];
  /** Delta: each resource's name and version, in the order of `resources`. */
  readonly resourceVersions: readonly (readonly [name: string, version: string])[];
  /** Delta: names to drop. */
  readonly removed: readonly string[];
  /** Whether it holds changes to merge (delta) rather than a whole LDS or CDS set (state of the world). */
  readonly incremental: boolean;
}

function sotwUpdate(bytes: Buffer): Update {
  const r = decodeDiscoveryResponse(bytes);
  return {
    typeUrl: r.type_url,
    version: r.version_info,
    nonce: r.nonce,
    resources: r.resources,
    resourceVersions: [],
    removed: [],
    incremental: false,
  };
}

function deltaUpdate(bytes: Buffer): Update {
  const r = decodeDeltaDiscoveryResponse(bytes);
  return {
    typeUrl: r.type_url,
    version: r.system_version_info,
    nonce: r.nonce,
    resources: r.resources.map(resource => resource.resource),
    resourceVersions: r.resources.map(resource => [resource.name, resource.version] as const),
    removed: r.removed_resources,
    incremental: true,
  };
}

/**
 * The xDS connection: `connecting` (a stream is open and no response has come yet), `connected`
 * (responses come), `backing-off` (waiting before the next attempt), `stopped`.
 */
export type XdsConnectionState = 'connecting' | 'connected' | 'backing-off' | 'stopped';

/** Where the client stands, for the admin API and `aeraki status --proxy`. */
export interface AdsClientStatus {
  /** The ADS server, `host:port`. */
  readonly target: string;
  /** This proxy's node id. */
  readonly nodeId?: string;
  readonly state: XdsConnectionState;
  /** When `state` last changed (ISO 8601), and how long ago that was in ms. */
  readonly since: string;
  readonly sinceMs: number;
  /** While backing off: when the next attempt starts (ISO 8601). */
  readonly retryAt?: string;
  /** Whether responses come (state `connected`). */
  readonly connected: boolean;
  /** Per type URL, the version last accepted. */
  readonly versions: Readonly<Record<string, string>>;
  readonly lastNack: { readonly typeUrl: string; readonly message: string; readonly at: string } | undefined;
  /** Connection attempts made after a stream ended or failed. */
  readonly reconnects: number;
  /** Attempts that failed since the last successful one. */
  readonly consecutiveFailures: number;
  /** Why the last stream ended or the last attempt failed, and when. */
  readonly lastError: { readonly message: string; readonly at: string } | undefined;
  /** Responses per type URL: received, ACKed, NACKed. */
  readonly updates: Readonly<Record<string, Readonly<UpdateCounters>>>;
  /** Resources that could not be decoded (their previous version, if any, runs), with the reason. */
  readonly invalidResources: readonly {
    readonly typeUrl: string;
    readonly name: string;
    readonly reason: string;
  }[];
}

/** Largest DiscoveryResponse accepted. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

const TYPE_ORDER = [
  TypeUrls.cluster,
  TypeUrls.clusterLoadAssignment,
  TypeUrls.listener,
  TypeUrls.routeConfiguration,
];

export class AdsClient {
  /** The channel of the current attempt (a new one each attempt; see the file's comment). */
  private client: Client | undefined;
  private stream: ClientDuplexStream<Buffer, Update> | undefined;
  private readonly delta: boolean;
  private readonly types = new Map<string, TypeState>();
  /** MetaProtocol and Redis listeners (a Redis one has no route table to wait for). */
  private readonly listeners = new Map<string, ListenerResource | RedisListenerResource>();
  private readonly clusters = new Map<string, ClusterResource>();
  private readonly endpoints = new Map<string, EndpointAssignmentResource>();
  private readonly routes = new Map<string, RouteConfigResource>();
  /** What the proxy runs: the last consistent versions of listeners and route tables. */
  private appliedListeners = new Map<string, ListenerResource>();
  private appliedRoutes = new Map<string, RouteConfigResource>();
  private stopped = false;
  private state: XdsConnectionState = 'stopped';
  private stateSince = Date.now();
  private retryAt: number | undefined;
  private readonly backoff: RetryBackoff;
  private reconnects = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastNack: AdsClientStatus['lastNack'];
  private lastError: AdsClientStatus['lastError'];
  private readonly counters = new Map<string, UpdateCounters>();
  private readonly invalidResources = new Map<string, Map<string, string>>();
  /** The listeners the proxy reported rejected after the last update, with the reason. */
  private rejectedBefore = new Map<string, string>();
  /** Responses are handled one at a time, in order, since applying is asynchronous. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: AdsClientOptions) {
    this.backoff = new RetryBackoff(options.backoff, options.random);
    this.delta = options.api === 'delta';
    for (const typeUrl of TYPE_ORDER)
      this.types.set(typeUrl, { version: '', nonce: '', names: [], resourceVersions: new Map() });
  }

  /** Opens the stream and subscribes. */
  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Closes the stream; no reconnect. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    const stream = this.stream;
    this.stream = undefined;
    stream?.cancel();
    this.client?.close();
    this.client = undefined;
    this.setState('stopped');
  }

  status(): AdsClientStatus {
    const versions: Record<string, string> = {};
    for (const [typeUrl, state] of this.types) versions[typeUrl] = state.version;
    const now = Date.now();
    return {
      target: this.options.target,
      nodeId: this.options.node.id,
      state: this.state,
      since: new Date(this.stateSince).toISOString(),
      sinceMs: now - this.stateSince,
      ...(this.state === 'backing-off' && this.retryAt !== undefined
        ? { retryAt: new Date(this.retryAt).toISOString() }
        : {}),
      connected: this.state === 'connected',
      versions,
      lastNack: this.lastNack,
      reconnects: this.reconnects,
      consecutiveFailures: this.backoff.attempts,
      lastError: this.lastError,
      updates: Object.fromEntries([...this.counters].map(([typeUrl, c]) => [typeUrl, { ...c }])),
      invalidResources: [...this.invalidResources].flatMap(([typeUrl, byName]) => {
        // Endpoints and route tables count while subscribed to.
        const names = this.types.get(typeUrl)?.names ?? [];
        return [...byName]
          .filter(([name]) => names.length === 0 || names.includes(name))
          .map(([name, reason]) => ({ typeUrl, name, reason }));
      }),
    };
  }

  private setState(state: XdsConnectionState, retryAt?: number): void {
    this.retryAt = retryAt;
    if (state === this.state) return;
    this.state = state;
    this.stateSince = Date.now();
  }

  private open(): void {
    let channelCredentials: ChannelCredentials;
    let metadata: Metadata | undefined;
    try {
      channelCredentials = this.options.connection?.credentials() ?? credentials.createInsecure();
      metadata = this.options.connection?.metadata?.();
    } catch (err) {
      this.retry(`cannot connect: ${err instanceof Error ? err.message : String(err)}`, false);
      return;
    }
    // A snapshot of thousands of services is far above grpc-js's 4 MB default message limit. A
    // subchannel pool of the channel's own: no other channel's cached failure is seen (file comment).
    const client = new Client(this.options.target, channelCredentials, {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.use_local_subchannel_pool': 1,
      ...this.options.connection?.channelOptions,
    });
    this.client = client;
    this.setState('connecting');
    const stream = client.makeBidiStreamRequest(
      this.delta ? DELTA_ADS_METHOD_PATH : ADS_METHOD_PATH,
      (request: Buffer) => request,
      this.delta ? deltaUpdate : sotwUpdate,
      metadata ?? new Metadata(),
    );
    this.stream = stream;
    stream.on('data', (response: Update) => {
      if (this.stream === stream && this.state !== 'connected') {
        // As Envoy does: the backoff restarts once the server has answered, not merely accepted.
        this.backoff.reset();
        this.setState('connected');
        this.options.logger.info({ target: this.options.target }, 'xDS stream connected');
      }
      this.queue = this.queue.then(() => this.onResponse(stream, response));
    });
    // Every failure also ends with 'status', which reports it; without this listener grpc-js's
    // 'error' event would be unhandled.
    stream.on('error', () => {});
    // grpc-js ends every call with 'status' (and not always 'close'); either one means reconnect.
    stream.on('status', (status: StatusObject) => this.onClosed(stream, status));
    stream.on('close', () => this.onClosed(stream));
    // Clusters and listeners first (wildcard); endpoints and routes follow once names are known. On a
    // reconnect the versions held are sent along, so an unchanged server sends nothing new.
    for (const typeUrl of TYPE_ORDER) {
      const state = this.types.get(typeUrl)!;
      const wildcard = typeUrl === TypeUrls.cluster || typeUrl === TypeUrls.listener;
      if (!wildcard && state.names.length === 0) continue;
      if (!this.delta) this.send(typeUrl);
      else
        this.sendDelta(typeUrl, {
          resource_names_subscribe: state.names,
          initial_resource_versions: Object.fromEntries(state.resourceVersions),
        });
    }
  }

  private onClosed(stream: ClientDuplexStream<Buffer, Update>, status?: StatusObject): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.client?.close();
    this.client = undefined;
    if (this.stopped) return;
    const message =
      status === undefined
        ? 'the stream closed'
        : status.code === GrpcStatus.OK
          ? 'the server ended the stream'
          : `${GrpcStatus[status.code] ?? status.code}: ${status.details}`;
    this.retry(message, this.state === 'connected');
  }

  /** Records why the connection failed or ended, and reconnects after the backoff. */
  private retry(message: string, wasConnected: boolean): void {
    this.lastError = { message, at: new Date().toISOString() };
    this.reconnects++;
    const delay = this.backoff.next();
    this.setState('backing-off', Date.now() + delay);
    const log = { target: this.options.target, error: message, delayMs: delay };
    if (wasConnected)
      this.options.logger.warn(log, 'xDS stream closed; keeping the last config and reconnecting');
    else this.options.logger.info(log, 'xDS connection attempt failed; retrying');
    this.reconnectTimer = setTimeout(() => this.open(), delay);
    this.reconnectTimer.unref();
  }

  /** A state-of-the-world request: the whole subscription, the version held, the nonce answered. */
  private send(typeUrl: string, errorDetail?: string): void {
    const state = this.types.get(typeUrl)!;
    const request: DiscoveryRequest = {
      version_info: state.version,
      node: this.options.node,
      resource_names: state.names,
      type_url: typeUrl,
      response_nonce: state.nonce,
      ...(errorDetail === undefined ? {} : { error_detail: { code: 3, message: errorDetail } }),
    };
    this.stream?.write(encodeDiscoveryRequest(request));
  }

  /** A delta request: the node, the type and what is given (changes, nonce, error). */
  private sendDelta(typeUrl: string, fields: Partial<DeltaDiscoveryRequest>): void {
    const request: DeltaDiscoveryRequest = {
      node: this.options.node,
      type_url: typeUrl,
      resource_names_subscribe: [],
      resource_names_unsubscribe: [],
      initial_resource_versions: {},
      response_nonce: '',
      ...fields,
    };
    this.stream?.write(encodeDeltaDiscoveryRequest(request));
  }

  /** Accepts (ACK) or rejects (NACK, with `errorDetail`) the last response of `typeUrl`. */
  private answer(typeUrl: string, errorDetail?: string): void {
    if (!this.delta) {
      this.send(typeUrl, errorDetail);
      return;
    }
    this.sendDelta(typeUrl, {
      response_nonce: this.types.get(typeUrl)!.nonce,
      ...(errorDetail === undefined ? {} : { error_detail: { code: 3, message: errorDetail } }),
    });
  }

  private async onResponse(stream: ClientDuplexStream<Buffer, Update>, response: Update): Promise<void> {
    if (this.stream !== stream) return;
    const typeUrl = response.typeUrl;
    const state = this.types.get(typeUrl);
    if (state === undefined) return;
    state.nonce = response.nonce;
    const counters = this.updateCounters(typeUrl);
    counters.attempt++;
    const decoded = decodeResources(response.resources);
    // As gRPC's xDS client does (gRFC A46): a resource that cannot be decoded is left out and named
    // in the NACK, its previous version (if any) stays, and the valid ones are used.
    const invalidNow = new Set<string>();
    for (const error of decoded.errors) if (error.name !== undefined) invalidNow.add(error.name);
    // Keep what ran before, to restore it if the proxy fails the update as a whole.
    const backup = this.captureType(typeUrl);
    const removed = response.removed;
    switch (typeUrl) {
      case TypeUrls.listener:
        if (response.incremental) merge(this.listeners, allListeners(decoded), l => l.name, removed);
        else replace(this.listeners, allListeners(decoded), l => l.name);
        for (const table of decoded.routes) this.routes.set(table.name, table);
        break;
      case TypeUrls.cluster:
        if (response.incremental) merge(this.clusters, decoded.clusters, c => c.name, removed);
        else replace(this.clusters, decoded.clusters, c => c.name);
        for (const e of decoded.endpoints) this.endpoints.set(e.clusterName, e);
        break;
      case TypeUrls.clusterLoadAssignment:
        merge(this.endpoints, decoded.endpoints, e => e.clusterName, removed);
        break;
      case TypeUrls.routeConfiguration:
        merge(this.routes, decoded.routes, r => r.name, removed);
        break;
    }
    const held = this.mapOf(typeUrl);
    for (const name of invalidNow) {
      const previous = backup.get(name);
      if (previous !== undefined) held.set(name, previous);
    }
    this.noteInvalid(typeUrl, response, decoded.errors, [
      ...allListeners(decoded).map(l => l.name),
      ...decoded.clusters.map(c => c.name),
      ...(typeUrl === TypeUrls.clusterLoadAssignment ? decoded.endpoints.map(e => e.clusterName) : []),
      ...(typeUrl === TypeUrls.routeConfiguration ? decoded.routes.map(r => r.name) : []),
    ]);

    let rejected: readonly RejectedListener[] = [];
    if (!sameEntries(held, backup)) {
      try {
        rejected = (await this.applyConsistent(response.version))?.rejected ?? [];
      } catch (err) {
        this.restoreType(typeUrl, backup);
        counters.rejected++;
        this.nack(typeUrl, `the proxy rejected the update: ${errorText(err)}`);
        return;
      }
    } else {
      rejected = [...this.rejectedBefore].map(([name, reason]) => ({ name, reason }));
    }
    // Listeners this response answers for: those it carries, those whose route table it carries,
    // and any that this update rejected first (a listener waits for its route table, so the update
    // that hands it to the proxy may be of another type).
    const carried = new Set<string>();
    if (typeUrl === TypeUrls.listener) for (const l of allListeners(decoded)) carried.add(l.name);
    if (typeUrl === TypeUrls.routeConfiguration) {
      const tables = new Set(decoded.routes.map(r => r.name));
      for (const l of this.listeners.values()) {
        if (!isRedisListener(l) && tables.has(l.routeConfigName)) carried.add(l.name);
      }
    }
    const answerable = rejected.filter(
      r => carried.has(r.name) || this.rejectedBefore.get(r.name) !== r.reason,
    );
    this.rejectedBefore = new Map(rejected.map(r => [r.name, r.reason]));

    for (const name of removed) state.resourceVersions.delete(name);
    const refused = new Set([...invalidNow, ...answerable.map(r => r.name)]);
    for (const [name, version] of response.resourceVersions) {
      // Delta: a reconnect tells the server what is held; what was refused is not.
      if (refused.has(name)) state.resourceVersions.delete(name);
      else state.resourceVersions.set(name, version);
    }
    if (decoded.errors.length === 0 && answerable.length === 0) {
      state.version = response.version;
      counters.success++;
      this.answer(typeUrl);
    } else {
      // Partial acceptance: what could be applied stays applied. As Envoy, a state-of-the-world NACK
      // carries the version last accepted whole.
      counters.rejected++;
      const parts = decoded.errors.map(e => e.message);
      if (answerable.length > 0) {
        parts.push(
          `error adding/updating listener(s) ${answerable.map(r => `${r.name}: ${r.reason}`).join('; ')}`,
        );
      }
      this.nack(typeUrl, parts.join('; '));
    }
    this.updateSubscriptions();
  }

  private nack(typeUrl: string, message: string): void {
    this.lastNack = { typeUrl, message, at: new Date().toISOString() };
    this.options.logger.error(
      { typeUrl, error: message },
      'xDS update rejected (NACK); what could be applied runs, the rest keeps its previous config',
    );
    this.answer(typeUrl, message);
  }

  private updateCounters(typeUrl: string): UpdateCounters {
    let counters = this.counters.get(typeUrl);
    if (counters === undefined) {
      counters = { attempt: 0, success: 0, rejected: 0 };
      this.counters.set(typeUrl, counters);
    }
    return counters;
  }

  /**
   * Records which resources of `typeUrl` cannot be decoded (named in `errors`); one is forgotten once
   * a valid version of it arrives (`valid`) or the server drops it.
   */
  private noteInvalid(
    typeUrl: string,
    response: Update,
    errors: readonly { readonly name?: string; readonly message: string }[],
    valid: readonly string[],
  ): void {
    let invalid = this.invalidResources.get(typeUrl);
    if (invalid === undefined) {
      invalid = new Map();
      this.invalidResources.set(typeUrl, invalid);
    }
    // A state-of-the-world LDS or CDS response is the whole set: what it lacks is gone.
    if (!response.incremental && (typeUrl === TypeUrls.listener || typeUrl === TypeUrls.cluster))
      invalid.clear();
    for (const name of response.removed) invalid.delete(name);
    for (const name of valid) invalid.delete(name);
    for (const error of errors) if (error.name !== undefined) invalid.set(error.name, error.message);
  }

  /** Subscribes to the endpoints of every cluster and the route table of every listener. */
  private updateSubscriptions(): void {
    this.subscribe(TypeUrls.clusterLoadAssignment, [...this.clusters.keys()].sort(), this.endpoints);
    const routeTables = new Set<string>();
    for (const l of this.listeners.values()) if (!isRedisListener(l)) routeTables.add(l.routeConfigName);
    this.subscribe(TypeUrls.routeConfiguration, [...routeTables].sort(), this.routes);
  }

  /** Makes `names` the subscription of `typeUrl`, dropping from `held` what it no longer names. */
  private subscribe(typeUrl: string, names: string[], held: Map<string, unknown>): void {
    const state = this.types.get(typeUrl)!;
    if (sameNames(state.names, names)) return;
    const before = state.names;
    state.names = names;
    keepOnly(held, names);
    if (this.delta) {
      const wanted = new Set(names);
      const had = new Set(before);
      for (const name of state.resourceVersions.keys())
        if (!wanted.has(name)) state.resourceVersions.delete(name);
      this.sendDelta(typeUrl, {
        resource_names_subscribe: names.filter(n => !had.has(n)),
        resource_names_unsubscribe: before.filter(n => !wanted.has(n)),
      });
    } else if (names.length > 0 || state.version !== '') this.send(typeUrl);
  }

  /** Builds the snapshot the proxy can run now and applies it. */
  private async applyConsistent(version: string): Promise<SnapshotOutcome | void> {
    const routes = new Map<string, RouteConfigResource>();
    for (const [name, table] of this.routes) {
      const ready = routeTableClusterRefs(table).every(c => this.clusters.has(c));
      const fallback = this.appliedRoutes.get(name);
      if (ready) routes.set(name, table);
      else if (fallback !== undefined) routes.set(name, fallback);
    }
    const listeners = new Map<string, ListenerResource>();
    const redisListeners: RedisListenerResource[] = [];
    for (const [name, listener] of this.listeners) {
      if (isRedisListener(listener)) {
        // Its clusters come with CDS, which is applied before listeners (TYPE_ORDER).
        redisListeners.push(listener);
        continue;
      }
      if (routes.has(listener.routeConfigName)) listeners.set(name, listener);
      else {
        const fallback = this.appliedListeners.get(name);
        if (fallback !== undefined && routes.has(fallback.routeConfigName)) listeners.set(name, fallback);
      }
    }
    const clusters = [...this.clusters.values()];
    const snapshot: ProxySnapshot = {
      version,
      listeners: [...listeners.values()],
      ...(redisListeners.length === 0 ? {} : { redisListeners }),
      clusters,
      endpoints: clusters.map(c => this.endpoints.get(c.name) ?? { clusterName: c.name, endpoints: [] }),
      routes: [...routes.values()],
    };
    const outcome = await this.options.onSnapshot(snapshot);
    this.appliedListeners = listeners;
    this.appliedRoutes = routes;
    return outcome;
  }

  private captureType(typeUrl: string): Map<string, unknown> {
    return new Map(this.mapOf(typeUrl));
  }

  private restoreType(typeUrl: string, backup: Map<string, unknown>): void {
    const map = this.mapOf(typeUrl);
    map.clear();
    for (const [k, v] of backup) map.set(k, v);
  }

  private mapOf(typeUrl: string): Map<string, unknown> {
    switch (typeUrl) {
      case TypeUrls.listener:
        return this.listeners;
      case TypeUrls.cluster:
        return this.clusters;
      case TypeUrls.clusterLoadAssignment:
        return this.endpoints;
      default:
        return this.routes;
    }
  }
}

/** Drops what is no longer subscribed to (RDS and EDS resources are kept until then). */
function keepOnly(map: Map<string, unknown>, names: readonly string[]): void {
  const wanted = new Set(names);
  for (const name of map.keys()) if (!wanted.has(name)) map.delete(name);
}

/** RDS and EDS, and every delta response: changes to what is held. */
function merge<T>(
  map: Map<string, T>,
  values: readonly T[],
  key: (value: T) => string,
  removed: readonly string[],
): void {
  for (const name of removed) map.delete(name);
  for (const value of values) map.set(key(value), value);
}

/** State-of-the-world LDS and CDS: the response is the whole set of its type. */
/** The MetaProtocol and Redis listeners of a response. */
function allListeners(decoded: DecodedResources): (ListenerResource | RedisListenerResource)[] {
  return decoded.redisListeners.length === 0
    ? decoded.listeners
    : [...decoded.listeners, ...decoded.redisListeners];
}

function replace<T>(map: Map<string, T>, values: readonly T[], key: (value: T) => string): void {
  map.clear();
  for (const value of values) map.set(key(value), value);
}

/** Whether two maps hold the same values (the same objects) under the same keys. */
function sameEntries(a: ReadonlyMap<string, unknown>, b: ReadonlyMap<string, unknown>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
