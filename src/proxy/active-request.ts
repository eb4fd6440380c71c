import type { CodecFactory, LocalReplyKind, Message, Mutation } from '../codec/index.js';
import type { RoutableRequest } from '../filters/router/router-filter.js';
import type { CompiledRoute, RouteTable } from '../filters/router/route-table.js';
import type { Cluster } from '../upstream/cluster.js';
import type { Host } from '../upstream/host.js';
import type { RequestHolder } from '../upstream/upstream-request.js';
import type { DeadlineEntry } from './deadline-timer.js';
import type { DownstreamConnection } from './downstream-connection.js';
import type { ListenerState } from './listener-state.js';

/**
 * One request from decode to its last byte downstream: it runs the decoder filters, is handed to an
 * upstream pool by the router, receives the response, runs the encoder filters in reverse, and writes
 * the encoded response. It is also the pool's callback object and the timeout's timer entry, so a
 * request costs one allocation of this class and no closures.
 */
export class ActiveRequest implements RoutableRequest, DeadlineEntry {
  readonly request: Message;
  /** The same message, under the name the upstream pool uses. */
  readonly message: Message;
  response: Message | undefined = undefined;
  readonly startTime: number;
  readonly routeTable: RouteTable | undefined;
  readonly codecFactory: CodecFactory;
  route: CompiledRoute | undefined = undefined;
  clusterName = '';
  mutation: Mutation | undefined = undefined;
  upstream: RequestHolder | undefined = undefined;
  upstreamId = 0;
  deadline = 0;
  deadlineKey = -1;
  deadlinePrev: DeadlineEntry | null = null;
  deadlineNext: DeadlineEntry | null = null;

  private readonly connection: DownstreamConnection;
  private readonly state: ListenerState;
  private host: Host | undefined = undefined;
  private decoderIndex = 0;
  private encoderIndex = 0;
  private requestHeaders: Map<string, string> | undefined = undefined;
  private responseHeaders: Map<string, string> | undefined = undefined;
  private filterStateMap: Map<string, unknown> | undefined = undefined;
  private done = false;

  constructor(connection: DownstreamConnection, state: ListenerState, request: Message) {
    this.connection = connection;
    this.state = state;
    this.request = request;
    this.message = request;
    this.routeTable = state.routeTable;
    this.codecFactory = state.codecFactory;
    this.startTime = Date.now();
  }

  get listenerName(): string {
    return this.state.resource.name;
  }

  get protocol(): string {
    return this.state.resource.protocol;
  }

  get multiplexing(): boolean {
    return this.state.resource.multiplexing;
  }

  get filterState(): Map<string, unknown> {
    return (this.filterStateMap ??= new Map());
  }

  /** Whether the request has ended (answered, failed, or abandoned). */
  get finished(): boolean {
    return this.done;
  }

  /** Runs the decoder filters from the start. */
  start(): void {
    this.decoderIndex = 0;
    this.continueDecoding();
  }

  continueDecoding(): void {
    const decoders = this.state.decoders;
    while (!this.done && this.decoderIndex < decoders.length) {
      const filter = decoders[this.decoderIndex++]!;
      if (filter.onRequest(this) === 'stop') return;
    }
    // Only a chain without a router gets here; say so rather than leave the client waiting.
    if (!this.done && this.upstream === undefined && this.host === undefined) {
      this.sendLocalReply('internal', 'aeraki: the filter chain ended without routing the request');
    }
  }

  continueEncoding(): void {
    const encoders = this.state.encoders;
    while (!this.done && this.encoderIndex < encoders.length) {
      const filter = encoders[this.encoderIndex++]!;
      if (filter.onResponse(this) === 'stop') return;
    }
    if (!this.done) this.writeResponse();
  }

  addRequestHeader(key: string, value: string): void {
    (this.requestHeaders ??= new Map()).set(key, value);
  }

  addResponseHeader(key: string, value: string): void {
    (this.responseHeaders ??= new Map()).set(key, value);
  }

  finalRequestMutation(routeMutation: Mutation): Mutation | undefined {
    const added = this.requestHeaders;
    if (added === undefined) return (this.mutation = routeMutation.size === 0 ? undefined : routeMutation);
    for (const [k, v] of routeMutation) added.set(k, v);
    return (this.mutation = added);
  }

  forward(cluster: Cluster, host: Host, timeoutMs: number | undefined): void {
    this.host = host;
    const oneway = this.request.type === 'oneway';
    if (!oneway) {
      host.activeRequests++;
      const timeout = timeoutMs ?? this.state.resource.requestTimeoutMs;
      if (timeout > 0) this.connection.deadlines.arm(this, timeout);
    }
    cluster.pool(host, this.codecFactory, this.multiplexing).send(this);
    // A one-way request is finished once handed over: nothing will come back.
    if (oneway) this.finish();
  }

  onUpstreamResponse(response: Message): void {
    if (this.done) return;
    this.releaseHost();
    this.response = response;
    this.encoderIndex = 0;
    this.continueEncoding();
  }

  onUpstreamFailure(kind: LocalReplyKind, detail: string): void {
    if (this.done) return;
    this.releaseHost();
    this.sendLocalReply(kind, `aeraki: ${detail} (cluster '${this.clusterName}')`);
  }

  onDeadline(): void {
    if (this.done) return;
    const upstream = this.upstream;
    if (upstream !== undefined) upstream.timeOut(this);
    this.releaseHost();
    const timeout = this.route?.timeoutMs ?? this.state.resource.requestTimeoutMs;
    this.sendLocalReply(
      'timeout',
      `aeraki: no response from cluster '${this.clusterName}' within ${timeout} ms`,
    );
  }

  sendLocalReply(kind: LocalReplyKind, message: string): void {
    if (this.done) return;
    const upstream = this.upstream;
    if (upstream !== undefined) upstream.cancel(this);
    this.releaseHost();
    this.connection.stats.localReply[kind]++;
    if (this.request.type !== 'oneway') {
      const bytes = this.connection.codec.encodeLocalReply(this.request, { kind, message });
      if (bytes !== undefined) this.connection.write(bytes);
    }
    this.connection.logLocalReply(this, kind, message);
    this.finish();
  }

  /** The downstream connection went away: stop waiting for the upstream. */
  abandon(): void {
    if (this.done) return;
    const upstream = this.upstream;
    if (upstream !== undefined) upstream.cancel(this);
    this.releaseHost();
    this.finish();
  }

  private writeResponse(): void {
    const response = this.response!;
    const stats = this.connection.stats;
    stats.response++;
    if (response.status === 'error') stats.responseError++;
    const routeMutation = this.route?.responseMutation;
    let mutation: Mutation | undefined = this.responseHeaders;
    if (routeMutation !== undefined && routeMutation.size > 0) {
      if (mutation === undefined) mutation = routeMutation;
      else for (const [k, v] of routeMutation) (mutation as Map<string, string>).set(k, v);
    }
    const requestId = this.request.requestId;
    const bytes =
      mutation === undefined && response.requestId === requestId
        ? response.bytes
        : this.connection.codec.encode(response, { mutation, requestId });
    this.connection.write(bytes);
    this.finish();
  }

  private releaseHost(): void {
    const host = this.host;
    if (host !== undefined && this.request.type !== 'oneway') {
      host.activeRequests--;
      this.host = undefined;
    }
  }

  private finish(): void {
    this.done = true;
    if (this.deadlineKey >= 0) this.connection.deadlines.disarm(this);
    this.connection.onRequestFinished(this);
  }
}
