/**
 * The aggregated discovery service (`envoy.service.discovery.v3.AggregatedDiscoveryService`) on
 * grpc-js, both variants: state of the world (`StreamAggregatedResources`, see AdsStream) and
 * incremental (`DeltaAggregatedResources`, see DeltaAdsStream). It serves the snapshots of a
 * SnapshotCache — any resource types, not only MetaProtocol ones — to every connected proxy, and keeps
 * the per-node ACK/NACK view returned by `status()`. Port 15010 by default, as Aeraki's.
 *
 * The same port serves the route discovery service alone (`envoy.service.route.v3.RouteDiscoveryService`,
 * `StreamRoutes` and `DeltaRoutes`): what Envoy sidecars running Aeraki's MetaProtocol proxy image
 * subscribe to with an `api_config_source` naming the `aeraki-xds` bootstrap cluster, one stream
 * per subscription as Envoy opens them. Those streams carry RouteConfigurations only; a request
 * for another type ends the stream with INVALID_ARGUMENT.
 */
import { EventEmitter } from 'node:events';
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
  type XdsResource,
} from '../../xds/index.js';
import type { DebounceOptions } from '../cache/debouncer.js';
import type { ResourceSnapshot } from '../cache/resource-snapshot.js';
import { DEFAULT_DEBOUNCE, SnapshotCache } from '../cache/snapshot-cache.js';
import { AdsStream } from './ads-stream.js';
import type { ResponseSink, StreamAck, StreamHooks } from './discovery-stream.js';
import { DeltaAdsStream } from './delta-ads-stream.js';
import { sendFramesAsIs } from './framed-writes.js';
import { DELTA_REQUESTS, InterningRequestDecoder, SOTW_REQUESTS } from './interned-requests.js';
import { DEFAULT_ANSWER_BUDGET_BYTES, PushThrottle } from './push-throttle.js';
import { releaseDeliveredChunks } from './release-request-chunks.js';
import { SharedResponses } from './shared-responses.js';
import { WriteBudget, type FlushingWrite } from './write-budget.js';
import { StatusRegistry, type XdsObserver, type XdsServerStatus } from './xds-status.js';
import { TypeUrls } from '../../xds/type-urls.js';

/** Aeraki's xDS port. */
export const DEFAULT_XDS_PORT = 15010;

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
}

export class AdsServer extends EventEmitter<AdsServerEvents> {
  readonly cache: SnapshotCache;
  private readonly registry: StatusRegistry;
  private readonly streams = new Set<ServedStream<never>>();
  private readonly logger: Logger;
  private readonly controlPlaneId: string;
  private readonly unsubscribe: () => void;
  private server: Server | undefined;
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
    this.unsubscribe = this.cache.onPublish(() => {
      for (const stream of this.streams) stream.snapshotChanged();
    });
  }

  /** Listens on `host:port` (port 0 picks a free one); resolves with the bound port. */
  start(host = '127.0.0.1', port = DEFAULT_XDS_PORT): Promise<number> {
    if (this.server !== undefined) return Promise.reject(new Error('ADS server already started'));
    const server = new Server();
    server.addService(serviceDefinition(this.sotwDecoder, this.deltaDecoder), {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, Buffer>) =>
        this.serve(
          call,
          (sink, hooks) => new AdsStream(sink, this.cache, this.registry, hooks),
          this.sotwShared,
        ),
      DeltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, Buffer>) =>
        this.serve(
          call,
          (sink, hooks) => new DeltaAdsStream(sink, this.cache, this.registry, hooks),
          this.deltaShared,
        ),
    });
    server.addService(routeServiceDefinition(this.sotwDecoder, this.deltaDecoder), {
      StreamRoutes: (call: ServerDuplexStream<DiscoveryRequest, Buffer>) =>
        this.serve(
          call,
          (sink, hooks) => new AdsStream(sink, this.cache, this.registry, hooks),
          this.sotwShared,
          TypeUrls.routeConfiguration,
        ),
      DeltaRoutes: (call: ServerDuplexStream<DeltaDiscoveryRequest, Buffer>) =>
        this.serve(
          call,
          (sink, hooks) => new DeltaAdsStream(sink, this.cache, this.registry, hooks),
          this.deltaShared,
          TypeUrls.routeConfiguration,
        ),
    });
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
    const server = this.server;
    this.server = undefined;
    for (const stream of this.streams) stream.close();
    this.streams.clear();
    if (server === undefined) return;
    await new Promise<void>(resolve => {
      server.tryShutdown(() => resolve());
      // Open ADS streams never end by themselves: cut them.
      server.forceShutdown();
    });
  }

  private nextNonce(): string {
    return (++this.nonceCounter).toString(36);
  }

  /** Serves one stream; with `onlyType`, a stream of that resource type alone (RDS). */
  private serve<Request extends { readonly type_url: string }>(
    call: ServerDuplexStream<Request, Buffer>,
    makeStream: (sink: ResponseSink, hooks: StreamHooks) => ServedStream<Request>,
    shared: SharedResponses,
    onlyType?: string,
  ): void {
    // Responses are made with their gRPC frame header in front: grpc-js need not copy them.
    sendFramesAsIs(call);
    const flushingWrite: FlushingWrite = (response, done) => {
      if (call.cancelled || call.destroyed) done();
      else call.write(response, () => done());
    };
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
    this.streams.add(stream);
    const finish = (): void => {
      if (!this.streams.delete(stream)) return;
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
