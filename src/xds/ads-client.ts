/**
 * The proxy's side of ADS (state of the world): subscribes to listeners and clusters (wildcard), then
 * to the endpoints of those clusters and the route tables those listeners name, and hands the proxy a
 * consistent snapshot after each accepted update. Every response is ACKed once the proxy has applied it,
 * or NACKed with a readable `error_detail` when a resource is invalid or the proxy rejects the set; the
 * last good config keeps running either way. When the stream breaks, it reconnects with backoff and
 * the proxy keeps serving meanwhile.
 *
 * Consistency (Envoy's warming, simplified): a listener is not handed over before its route table
 * arrived, and a route table is not handed over before every cluster it names is known; until then the
 * previously accepted version of that listener or route table (if any) stays in the snapshot.
 *
 * State of the world: an LDS or CDS response is the whole set of its type; an RDS or EDS response
 * may carry only the resources that changed (xDS allows it, and our control plane does so), so those
 * are merged into what the client holds, and a route table or endpoint set is dropped only when the
 * client stops subscribing to it.
 */
import { Client, credentials, type ClientDuplexStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import {
  ADS_METHOD_PATH,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type XdsNode,
  decodeDiscoveryResponse,
  encodeDiscoveryRequest,
} from './discovery-messages.js';
import type {
  ClusterResource,
  EndpointAssignmentResource,
  ListenerResource,
  ProxySnapshot,
  RouteConfigResource,
} from './resources.js';
import { decodeResources, routeTableClusterRefs } from './snapshot-codec.js';
import { TypeUrls } from './type-urls.js';

/** What the client does with a consistent snapshot; a rejection NACKs the update that produced it. */
export type SnapshotSink = (snapshot: ProxySnapshot) => Promise<void>;

export interface AdsClientOptions {
  /** `host:port` of the ADS server. */
  readonly target: string;
  readonly node: XdsNode;
  readonly onSnapshot: SnapshotSink;
  readonly logger: Logger;
  /** First reconnect delay; doubles up to {@link maxBackoffMs}. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** Per resource type: what was accepted and what the server last sent. */
interface TypeState {
  version: string;
  nonce: string;
  /** Names subscribed to; empty = wildcard (LDS, CDS). */
  names: string[];
}

/** Where the client stands, for the admin API. */
export interface AdsClientStatus {
  readonly connected: boolean;
  readonly versions: Readonly<Record<string, string>>;
  readonly lastNack: { readonly typeUrl: string; readonly message: string; readonly at: string } | undefined;
  readonly reconnects: number;
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
  private readonly client: Client;
  private stream: ClientDuplexStream<Buffer, DiscoveryResponse> | undefined;
  private readonly types = new Map<string, TypeState>();
  private readonly listeners = new Map<string, ListenerResource>();
  private readonly clusters = new Map<string, ClusterResource>();
  private readonly endpoints = new Map<string, EndpointAssignmentResource>();
  private readonly routes = new Map<string, RouteConfigResource>();
  /** What the proxy runs: the last consistent versions of listeners and route tables. */
  private appliedListeners = new Map<string, ListenerResource>();
  private appliedRoutes = new Map<string, RouteConfigResource>();
  private stopped = false;
  private connected = false;
  private backoffMs: number;
  private reconnects = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lastNack: AdsClientStatus['lastNack'];
  /** Responses are handled one at a time, in order, since applying is asynchronous. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly options: AdsClientOptions) {
    // A snapshot of thousands of services is far above grpc-js's 4 MB default message limit.
    this.client = new Client(options.target, credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    });
    this.backoffMs = options.initialBackoffMs ?? 250;
    for (const typeUrl of TYPE_ORDER) this.types.set(typeUrl, { version: '', nonce: '', names: [] });
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
    this.stream?.cancel();
    this.stream = undefined;
    this.client.close();
  }

  status(): AdsClientStatus {
    const versions: Record<string, string> = {};
    for (const [typeUrl, state] of this.types) versions[typeUrl] = state.version;
    return { connected: this.connected, versions, lastNack: this.lastNack, reconnects: this.reconnects };
  }

  private open(): void {
    const stream = this.client.makeBidiStreamRequest(
      ADS_METHOD_PATH,
      (request: Buffer) => request,
      (bytes: Buffer) => decodeDiscoveryResponse(bytes),
    );
    this.stream = stream;
    stream.on('data', (response: DiscoveryResponse) => {
      if (!this.connected) {
        this.connected = true;
        this.backoffMs = this.options.initialBackoffMs ?? 250;
        this.options.logger.info({ target: this.options.target }, 'xDS stream connected');
      }
      this.queue = this.queue.then(() => this.onResponse(stream, response));
    });
    stream.on('error', (err: Error) => {
      if (!this.stopped)
        this.options.logger.warn({ err: err.message, target: this.options.target }, 'xDS stream failed');
    });
    // grpc-js ends every call with 'status' (and not always 'close'); either one means reconnect.
    stream.on('status', () => this.onClosed(stream));
    stream.on('close', () => this.onClosed(stream));
    // Clusters and listeners first (wildcard); endpoints and routes follow once names are known. On a
    // reconnect the versions held are sent along, so an unchanged server sends nothing new.
    this.send(TypeUrls.cluster);
    this.send(TypeUrls.listener);
    if (this.types.get(TypeUrls.clusterLoadAssignment)!.names.length > 0)
      this.send(TypeUrls.clusterLoadAssignment);
    if (this.types.get(TypeUrls.routeConfiguration)!.names.length > 0) this.send(TypeUrls.routeConfiguration);
  }

  private onClosed(stream: ClientDuplexStream<Buffer, DiscoveryResponse>): void {
    if (this.stream !== stream) return;
    this.stream = undefined;
    this.connected = false;
    if (this.stopped) return;
    this.reconnects++;
    const delay = Math.round(this.backoffMs * (0.8 + Math.random() * 0.4));
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.maxBackoffMs ?? 5000);
    this.options.logger.info(
      { delayMs: delay },
      'xDS stream closed; keeping the last config and reconnecting',
    );
    this.reconnectTimer = setTimeout(() => this.open(), delay);
    this.reconnectTimer.unref();
  }

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

  private async onResponse(
    stream: ClientDuplexStream<Buffer, DiscoveryResponse>,
    response: DiscoveryResponse,
  ): Promise<void> {
    if (this.stream !== stream) return;
    const typeUrl = response.type_url;
    const state = this.types.get(typeUrl);
    if (state === undefined) return;
    state.nonce = response.nonce;
    const decoded = decodeResources(response.resources);
    if (decoded.errors.length > 0) {
      this.nack(typeUrl, decoded.errors.map(e => e.message).join('; '));
      return;
    }
    // Keep what ran before, to restore it if the proxy rejects the new set.
    const backup = this.captureType(typeUrl);
    switch (typeUrl) {
      case TypeUrls.listener:
        replace(this.listeners, decoded.listeners, l => l.name);
        for (const table of decoded.routes) this.routes.set(table.name, table);
        break;
      case TypeUrls.cluster:
        replace(this.clusters, decoded.clusters, c => c.name);
        for (const e of decoded.endpoints) this.endpoints.set(e.clusterName, e);
        break;
      case TypeUrls.clusterLoadAssignment:
        for (const e of decoded.endpoints) this.endpoints.set(e.clusterName, e);
        break;
      case TypeUrls.routeConfiguration:
        for (const r of decoded.routes) this.routes.set(r.name, r);
        break;
    }
    try {
      await this.applyConsistent(response.version_info);
    } catch (err) {
      this.restoreType(typeUrl, backup);
      this.nack(
        typeUrl,
        `the proxy rejected the update: ${err instanceof Error ? err.message : String(err)}`,
      );
      return;
    }
    state.version = response.version_info;
    this.send(typeUrl);
    this.updateSubscriptions();
  }

  private nack(typeUrl: string, message: string): void {
    this.lastNack = { typeUrl, message, at: new Date().toISOString() };
    this.options.logger.error(
      { typeUrl, error: message },
      'xDS update rejected (NACK); the previous config keeps serving',
    );
    this.send(typeUrl, message);
  }

  /** Subscribes to the endpoints of every cluster and the route table of every listener. */
  private updateSubscriptions(): void {
    const eds = this.types.get(TypeUrls.clusterLoadAssignment)!;
    const edsNames = [...this.clusters.keys()].sort();
    if (!sameNames(eds.names, edsNames)) {
      eds.names = edsNames;
      keepOnly(this.endpoints, edsNames);
      if (edsNames.length > 0 || eds.version !== '') this.send(TypeUrls.clusterLoadAssignment);
    }
    const rds = this.types.get(TypeUrls.routeConfiguration)!;
    const rdsNames = [...new Set([...this.listeners.values()].map(l => l.routeConfigName))].sort();
    if (!sameNames(rds.names, rdsNames)) {
      rds.names = rdsNames;
      keepOnly(this.routes, rdsNames);
      if (rdsNames.length > 0 || rds.version !== '') this.send(TypeUrls.routeConfiguration);
    }
  }

  /** Builds the snapshot the proxy can run now and applies it. */
  private async applyConsistent(version: string): Promise<void> {
    const routes = new Map<string, RouteConfigResource>();
    for (const [name, table] of this.routes) {
      const ready = routeTableClusterRefs(table).every(c => this.clusters.has(c));
      const fallback = this.appliedRoutes.get(name);
      if (ready) routes.set(name, table);
      else if (fallback !== undefined) routes.set(name, fallback);
    }
    const listeners = new Map<string, ListenerResource>();
    for (const [name, listener] of this.listeners) {
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
      clusters,
      endpoints: clusters.map(c => this.endpoints.get(c.name) ?? { clusterName: c.name, endpoints: [] }),
      routes: [...routes.values()],
    };
    await this.options.onSnapshot(snapshot);
    this.appliedListeners = listeners;
    this.appliedRoutes = routes;
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

/** LDS and CDS: the response is the whole set of its type. */
function replace<T>(map: Map<string, T>, values: readonly T[], key: (value: T) => string): void {
  map.clear();
  for (const value of values) map.set(key(value), value);
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}
