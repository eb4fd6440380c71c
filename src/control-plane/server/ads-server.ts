/**
 * The aggregated discovery service (`envoy.service.discovery.v3.AggregatedDiscoveryService`) on
 * grpc-js, both variants: state of the world (`StreamAggregatedResources`, see AdsStream) and
 * incremental (`DeltaAggregatedResources`, see DeltaAdsStream). It serves the snapshots of a
 * SnapshotCache — any resource types, not only MetaProtocol ones — to every connected proxy, and keeps
 * the per-node ACK/NACK view returned by `status()`. Two ports, as istiod's: plaintext (15010, on
 * loopback by default) and TLS (15012), where each stream is authenticated before it is served
 * (see xds-authenticator.ts) and scoped by its identity.
 *
 * Both ports serve the route discovery service alone too (`envoy.service.route.v3.RouteDiscoveryService`,
 * `StreamRoutes` and `DeltaRoutes`): what Envoy sidecars running Aeraki's MetaProtocol proxy image
 * subscribe to with an `api_config_source` naming the `aeraki-xds` bootstrap cluster, one stream
 * per subscription as Envoy opens them, authenticated and scoped as ADS streams are. Those streams
 * carry RouteConfigurations only; a request for another type ends the stream with INVALID_ARGUMENT.
 *
 * With a StreamScoper, each proxy is served the snapshot of its scope (the key the scoper gives from
 * its node and identity) and only the streams of a scope whose snapshot changed are told; without,
 * every node is served its own snapshot or `*`'s.
 */
import { EventEmitter } from 'node:events';
import type { SecureContextOptions } from 'node:tls';
import { Server, ServerCredentials, status as GrpcStatus, type ServerDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { pino } from 'pino';
import {
  ADS_METHOD_PATH,
  DELTA_ADS_METHOD_PATH,
  encodeDeltaDiscoveryRequest,
  encodeDiscoveryRequest,
  finishDeltaResponse,
  finishResponse,
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
  type XdsNode,
  type XdsResource,
} from '../../xds/index.js';
import type { ProxyIdentity } from '../model/proxy-info.js';
import type { DebounceOptions } from '../cache/debouncer.js';
import type { ResourceSnapshot } from '../cache/resource-snapshot.js';
import { ALL_NODES, DEFAULT_DEBOUNCE, SnapshotCache } from '../cache/snapshot-cache.js';
import { AdsStream } from './ads-stream.js';
import type { ResponseSink, StreamAck, StreamHooks } from './discovery-stream.js';
import { DeltaAdsStream } from './delta-ads-stream.js';
import { sendFramesAsIs } from './framed-writes.js';
import { DELTA_REQUESTS, InterningRequestDecoder, SOTW_REQUESTS } from './interned-requests.js';
import { DEFAULT_ANSWER_BUDGET_BYTES, PushThrottle } from './push-throttle.js';
import { releaseDeliveredChunks } from './release-request-chunks.js';
import { SharedResponses } from './shared-responses.js';
import { WriteBudget, type FlushingWrite } from './write-budget.js';
import { TlsXdsListener } from './tls-listener.js';
import type { AuthenticatorChain } from './xds-authenticator.js';
import { StatusRegistry, type NodeScope, type XdsObserver, type XdsServerStatus } from './xds-status.js';
import { TypeUrls } from '../../xds/type-urls.js';

/** Aeraki's plaintext xDS port (istiod's too). */
export const DEFAULT_XDS_PORT = 15010;

/** The TLS xDS port, as istiod's. */
export const DEFAULT_XDS_TLS_PORT = 15012;

/** Which snapshot each proxy is served: the control plane's scopes (see model/proxy-scope.ts). */
export interface StreamScoper {
  /**
   * The SnapshotCache key of the snapshot a proxy is served, from its node and (on the TLS port) its
   * identity. The key's snapshot is set before this returns; a proxy with a key other than `*` is
   * served that key's snapshot only, never `*`'s.
   */
  keyFor(node: XdsNode, identity: ProxyIdentity | undefined): string;
  /** What the status shows of the proxy's scope. */
  describe?(node: XdsNode, identity: ProxyIdentity | undefined): NodeScope;
}

/** How a port's streams are secured. */
type PortSecurity =
  { readonly tls: false } | { readonly tls: true; readonly authenticator: AuthenticatorChain };

export interface AdsServerOptions {
  /** Snapshots to serve; a new cache with `debounce` when left out. */
  readonly cache?: SnapshotCache;
  /** Debounce of the cache created when `cache` is left out (default 100 ms quiet, 1 s max). */
  readonly debounce?: DebounceOptions;
  /** Sent as DiscoveryResponse.control_plane.identifier. */
  readonly controlPlaneId?: string;
  readonly logger?: Logger;
  /** Told of every response sent, ACKed and NACKed (metrics). */
  readonly observer?: XdsObserver;
  /**
   * Bytes of answers (requests that repeat a proxy's subscription) the proxies may owe at once
   * (default 32 MiB); proxies beyond it wait their turn to be pushed to. See PushThrottle.
   */
  readonly answerBudgetBytes?: number;
  /** Scopes each proxy's snapshot (default: a node's own snapshot, else `*`'s). */
  readonly scoper?: StreamScoper;
}

/** A response the proxy accepted. */
export type AckEvent = StreamAck;

/** A response the proxy rejected, with its reason. */
export interface NackEvent extends StreamAck {
  readonly errorDetail: { readonly code: number; readonly message: string };
}

interface AdsServerEvents {
  ack: [AckEvent];
  nack: [NackEvent];
}

/**
 * grpc-js method table: requests decoded by protobufjs with their resource names interned, responses
 * already encoded by the stream.
 */
function serviceDefinition(
  sotw: InterningRequestDecoder<DiscoveryRequest>,
  delta: InterningRequestDecoder<DeltaDiscoveryRequest>,
) {
  const encoded = {
    requestStream: true,
    responseStream: true,
    responseSerialize: (response: Buffer): Buffer => response,
    responseDeserialize: (bytes: Buffer): Buffer => bytes,
  } as const;
  return {
    StreamAggregatedResources: {
      ...encoded,
      path: ADS_METHOD_PATH,
      requestSerialize: encodeDiscoveryRequest,
      requestDeserialize: (bytes: Buffer): DiscoveryRequest => sotw.decode(bytes),
    },
    DeltaAggregatedResources: {
      ...encoded,
      path: DELTA_ADS_METHOD_PATH,
      requestSerialize: encodeDeltaDiscoveryRequest,
      requestDeserialize: (bytes: Buffer): DeltaDiscoveryRequest => delta.decode(bytes),
    },
  };
}

/** The route discovery service's method table: the same messages as ADS on other paths. */
function routeServiceDefinition(
  sotw: InterningRequestDecoder<DiscoveryRequest>,
  delta: InterningRequestDecoder<DeltaDiscoveryRequest>,
) {
  const ads = serviceDefinition(sotw, delta);
  return {
    StreamRoutes: { ...ads.StreamAggregatedResources, path: RDS_METHOD_PATH },
    DeltaRoutes: { ...ads.DeltaAggregatedResources, path: DELTA_RDS_METHOD_PATH },
  };
}

/** The gRPC method paths of the route discovery service (non-aggregated RDS). */
export const RDS_METHOD_PATH = '/envoy.service.route.v3.RouteDiscoveryService/StreamRoutes';
export const DELTA_RDS_METHOD_PATH = '/envoy.service.route.v3.RouteDiscoveryService/DeltaRoutes';

/** What the server needs of either kind of stream. */
interface ServedStream<Request> {
  handleRequest(request: Request): void;
  snapshotChanged(): void;
  close(): void;
  /** Serves the stream from another snapshot key (its scope changed). */
  rescope(key: string): void;
}

/** A served stream with what its scope is worked out from. */
interface StreamEntry {
  readonly stream: ServedStream<never>;
  readonly identity: ProxyIdentity | undefined;
  node?: XdsNode;
  key?: string;
}

export class AdsServer extends EventEmitter<AdsServerEvents> {
  readonly cache: SnapshotCache;
  private readonly registry: StatusRegistry;
  private readonly streams = new Map<ServedStream<never>, StreamEntry>();
  /** Streams by the snapshot key they are served from. */
  private readonly byKey = new Map<string, Set<ServedStream<never>>>();
  private readonly scoper: StreamScoper | undefined;
  private readonly logger: Logger;
  private readonly controlPlaneId: string;
  private readonly unsubscribe: () => void;
  private server: Server | undefined;
  private tlsServer: Server | undefined;
  private tlsListener: TlsXdsListener | undefined;
  private nonceCounter = 0;
  private readonly sotwDecoder = new InterningRequestDecoder(SOTW_REQUESTS);
  private readonly deltaDecoder = new InterningRequestDecoder(DELTA_REQUESTS);
  private readonly sotwShared: SharedResponses;
  private readonly deltaShared: SharedResponses;
  /** Bounds the response copies grpc-js holds until the sockets take them. */
  private readonly budget = new WriteBudget();
  private readonly throttle: PushThrottle;

  constructor(options: AdsServerOptions = {}) {
    super();
    this.cache = options.cache ?? new SnapshotCache(options.debounce ?? DEFAULT_DEBOUNCE);
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.controlPlaneId = options.controlPlaneId ?? '';
    this.registry = new StatusRegistry(options.observer);
    this.throttle = new PushThrottle(options.answerBudgetBytes ?? DEFAULT_ANSWER_BUDGET_BYTES);
    this.sotwShared = new SharedResponses(this.controlPlaneId, () => this.nextNonce(), finishResponse);
    this.deltaShared = new SharedResponses(this.controlPlaneId, () => this.nextNonce(), finishDeltaResponse);
    this.scoper = options.scoper;
    this.unsubscribe = this.cache.onPublish(key => this.published(key));
  }

  /** Tells the streams served from `key` (and, for `*`, those that fall back to it). */
  private published(key: string): void {
    if (key !== ALL_NODES) {
      for (const stream of this.byKey.get(key) ?? []) stream.snapshotChanged();
      return;
    }
    for (const [stream, entry] of this.streams) {
      if (entry.key === undefined || entry.key === ALL_NODES) stream.snapshotChanged();
      else if (this.scoper === undefined && this.cache.snapshotOf(entry.key) === undefined)
        stream.snapshotChanged();
    }
  }

  private grpcServer(security: PortSecurity): Server {
    const server = new Server();
    server.addService(serviceDefinition(this.sotwDecoder, this.deltaDecoder), {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, Buffer>) =>
        this.serve(
          call,
          (sink, hooks) => new AdsStream(sink, this.cache, this.registry, hooks),
          this.sotwShared,
          security,
        ),
      DeltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, Buffer>) =>
        this.serve(
          call,
          (sink, hooks) => new DeltaAdsStream(sink, this.cache, this.registry, hooks),
          this.deltaShared,
          security,
        ),
    });
    server.addService(routeServiceDefinition(this.sotwDecoder, this.deltaDecoder), {
      StreamRoutes: (call: ServerDuplexStream<DiscoveryRequest, Buffer>) =>
        this.serve(
          call,
          (sink, hooks) => new AdsStream(sink, this.cache, this.registry, hooks),
          this.sotwShared,
          security,
          TypeUrls.routeConfiguration,
        ),
      DeltaRoutes: (call: ServerDuplexStream<DeltaDiscoveryRequest, Buffer>) =>
        this.serve(
          call,
          (sink, hooks) => new DeltaAdsStream(sink, this.cache, this.registry, hooks),
          this.deltaShared,
          security,
          TypeUrls.routeConfiguration,
        ),
    });
    return server;
  }

  /** Listens in plaintext on `host:port` (port 0 picks a free one); resolves with the bound port. */
  start(host = '127.0.0.1', port = DEFAULT_XDS_PORT): Promise<number> {
    if (this.server !== undefined) return Promise.reject(new Error('ADS server already started'));
    const server = this.grpcServer({ tls: false });
    this.server = server;
    const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    return new Promise((resolve, reject) => {
      server.bindAsync(address, ServerCredentials.createInsecure(), (err, bound) => {
        if (err !== null) {
          this.server = undefined;
          reject(err);
          return;
        }
        this.logger.info({ address: `${host}:${bound}` }, 'xDS server listening');
        resolve(bound);
      });
    });
  }

  /**
   * Listens with TLS on `host:port` (0 picks a free port) with `context` (certificate, key, and the
   * CA client certificates must chain to); every stream is authenticated by `authenticator` before
   * it is served, and scoped by the identity found. Resolves with the bound port.
   */
  async startTls(
    host: string,
    port: number,
    context: SecureContextOptions,
    authenticator: AuthenticatorChain,
  ): Promise<number> {
    if (this.tlsListener !== undefined) throw new Error('TLS xDS server already started');
    const server = this.grpcServer({ tls: true, authenticator });
    const listener = new TlsXdsListener(server, context);
    const bound = await listener.listen(host, port);
    this.tlsServer = server;
    this.tlsListener = listener;
    this.logger.info({ address: `${host}:${bound}` }, 'xDS server listening with TLS');
    return bound;
  }

  /** Serves new TLS connections with a new certificate, key and CA (open ones keep theirs). */
  setTlsContext(context: SecureContextOptions): void {
    this.tlsListener?.setContext(context);
  }

  /**
   * Asks the scoper again for every stream's key (the config changed: a Sidecar may now select a
   * proxy, or stop to); a stream whose key changed is served from the new one.
   */
  rescope(): void {
    if (this.scoper === undefined) return;
    for (const [stream, entry] of this.streams) {
      if (entry.node === undefined) continue;
      const key = this.scoper.keyFor(entry.node, entry.identity);
      if (key === entry.key) continue;
      this.index(stream, entry, key);
      if (this.scoper.describe !== undefined)
        this.registry.describe(entry.node.id, this.scoper.describe(entry.node, entry.identity));
      stream.rescope(key);
    }
  }

  /** A connected proxy's node and identity (its most recent stream), by node id. */
  proxy(
    nodeId: string,
  ): { readonly node: XdsNode; readonly identity: ProxyIdentity | undefined } | undefined {
    let found: { node: XdsNode; identity: ProxyIdentity | undefined } | undefined;
    for (const entry of this.streams.values()) {
      if (entry.node?.id === nodeId) found = { node: entry.node, identity: entry.identity };
    }
    return found;
  }

  /** The snapshot keys streams are served from now. */
  keysInUse(): Set<string> {
    return new Set(this.byKey.keys());
  }

  private index(stream: ServedStream<never>, entry: StreamEntry, key: string | undefined): void {
    if (entry.key !== undefined) {
      const set = this.byKey.get(entry.key);
      set?.delete(stream);
      if (set?.size === 0) this.byKey.delete(entry.key);
    }
    entry.key = key;
    if (key === undefined) return;
    let set = this.byKey.get(key);
    if (set === undefined) {
      set = new Set();
      this.byKey.set(key, set);
    }
    set.add(stream);
  }

  /**
   * Sets the resources served to `nodeId`, or to every node without its own with `*`. Validated at
   * once (throws on an inconsistent set); pushed after the cache's debounce.
   */
  setSnapshot(nodeId: string, resources: Iterable<XdsResource>): ResourceSnapshot {
    return this.cache.setSnapshot(nodeId, resources);
  }

  /** Pushes waiting snapshots now instead of after the debounce. */
  flush(): void {
    this.cache.flush();
  }

  /** Per node and type: what was sent, ACKed and NACKed. */
  status(): XdsServerStatus {
    return this.registry.snapshot();
  }

  /** Proxies (node ids) with an open stream now. */
  connectedProxies(): number {
    return this.registry.connectedNodes();
  }

  /** Ends every stream and stops listening. */
  async stop(): Promise<void> {
    this.unsubscribe();
    this.cache.close();
    this.sotwShared.release();
    this.deltaShared.release();
    const servers = [this.server, this.tlsServer].filter(s => s !== undefined);
    this.server = undefined;
    this.tlsServer = undefined;
    const listener = this.tlsListener;
    this.tlsListener = undefined;
    for (const stream of this.streams.keys()) stream.close();
    this.streams.clear();
    this.byKey.clear();
    await Promise.all([
      listener?.close(),
      ...servers.map(
        server =>
          new Promise<void>(resolve => {
            server.tryShutdown(() => resolve());
            // Open ADS streams never end by themselves: cut them.
            server.forceShutdown();
          }),
      ),
    ]);
  }

  private nextNonce(): string {
    return (++this.nonceCounter).toString(36);
  }

  /** Serves one stream; with `onlyType`, a stream of that resource type alone (RDS). */
  private serve<Request extends { readonly type_url: string }>(
    call: ServerDuplexStream<Request, Buffer>,
    makeStream: (sink: ResponseSink, hooks: StreamHooks) => ServedStream<Request>,
    shared: SharedResponses,
    security: PortSecurity,
    onlyType?: string,
  ): void {
    if (!security.tls) {
      this.attach(call, makeStream, shared, undefined, onlyType);
      return;
    }
    // Requests wait in the call (no 'data' listener yet) while the proxy is authenticated.
    const peer = call.getPeer();
    const tls = this.tlsListener?.facts(peer);
    security.authenticator
      .authenticate({ ...(tls === undefined ? {} : { tls }), metadata: call.metadata, peer })
      .then(
        auth => {
          if (call.cancelled || call.destroyed) return;
          if ('refused' in auth) {
            this.logger.warn({ peer, reason: auth.refused }, 'xDS stream refused');
            call.emit('error', { code: GrpcStatus.UNAUTHENTICATED, details: auth.refused });
            call.end();
            return;
          }
          this.attach(call, makeStream, shared, auth.identity, onlyType);
        },
        (err: unknown) => {
          this.logger.error({ err, peer }, 'xDS authentication failed');
          call.emit('error', { code: GrpcStatus.INTERNAL, details: 'authentication failed' });
          call.end();
        },
      );
  }

  private attach<Request extends { readonly type_url: string }>(
    call: ServerDuplexStream<Request, Buffer>,
    makeStream: (sink: ResponseSink, hooks: StreamHooks) => ServedStream<Request>,
    shared: SharedResponses,
    identity: ProxyIdentity | undefined,
    onlyType: string | undefined,
  ): void {
    // Responses are made with their gRPC frame header in front: grpc-js need not copy them.
    sendFramesAsIs(call);
    const flushingWrite: FlushingWrite = (response, done) => {
      if (call.cancelled || call.destroyed) done();
      else call.write(response, () => done());
    };
    const entry: { stream?: ServedStream<never>; value?: StreamEntry } = {};
    const scoper = this.scoper;
    const stream = makeStream(
      {
        write: response => this.budget.write(flushingWrite, response),
        fail: message => {
          call.emit('error', { code: GrpcStatus.INVALID_ARGUMENT, details: message });
          call.end();
        },
      },
      {
        controlPlaneId: this.controlPlaneId,
        shared,
        throttle: this.throttle,
        nextNonce: () => this.nextNonce(),
        ...(scoper === undefined
          ? {}
          : {
              keyFor: (node: XdsNode): string => {
                const key = scoper.keyFor(node, identity);
                const value = entry.value;
                if (value !== undefined && entry.stream !== undefined) {
                  value.node = node;
                  this.index(entry.stream, value, key);
                }
                const described = scoper.describe?.(node, identity);
                if (described !== undefined) this.registry.describe(node.id, described);
                return key;
              },
            }),
        ...(identity === undefined ? {} : { identity: identity.principal }),
        onAck: ack => this.emit('ack', ack),
        onNack: nack => {
          this.logger.warn(
            {
              node: nack.nodeId,
              typeUrl: nack.typeUrl,
              version: nack.version,
              error: nack.errorDetail.message,
            },
            'proxy rejected xDS response',
          );
          this.emit('nack', nack);
        },
      },
    );
    const served = stream as ServedStream<never>;
    entry.stream = served;
    entry.value = { stream: served, identity };
    this.streams.set(served, entry.value);
    const finish = (): void => {
      const value = this.streams.get(served);
      if (value === undefined) return;
      this.streams.delete(served);
      this.index(served, value, undefined);
      this.budget.close(flushingWrite);
      stream.close();
    };
    call.on('data', (request: Request) => {
      // The request is decoded: grpc-js need not keep its chunks until the proxy's next request.
      releaseDeliveredChunks(call);
      if (onlyType !== undefined && request.type_url !== onlyType) {
        // A non-aggregated stream may leave the type out: it is the service's.
        if (request.type_url !== '') {
          call.emit('error', {
            code: GrpcStatus.INVALID_ARGUMENT,
            details: `this service serves ${onlyType} only, not ${request.type_url}`,
          });
          call.end();
          return;
        }
        stream.handleRequest({ ...request, type_url: onlyType });
        return;
      }
      stream.handleRequest(request);
    });
    call.on('end', () => {
      finish();
      call.end();
    });
    call.on('error', finish);
    call.on('close', finish);
    call.on('cancelled', finish);
  }
}
